/** Rooms: peers holding the same dict, synced over WebRTC. */
export { joinRoom, Room, type RoomCache } from './room.js'
export type { PeerPresence, RoomChange, RoomEvents, RoomOptions, RoomStats, RoomStatus } from './types.js'
