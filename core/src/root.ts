/** Name of the root map that holds the dict; any Yjs app sees the records there. */
export const ROOT_NAME = 'diffstream'
