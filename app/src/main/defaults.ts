/** Fixed default ports: the page's origin includes its port, and IndexedDB and the recent rooms are kept per origin. */
export const DEFAULT_APP_PORT = 4480
/** The signaling port `joinRoom` assumes when given none. */
export const DEFAULT_SIGNALING_PORT = 4444
