#!/usr/bin/env node
// `npm start` (after `npm run build`): the desktop app. Opens Electron when its binary is installed;
// otherwise says why and serves the same app in web mode on http://localhost:4480 with an embedded
// signaling server (`npm run web` asks for web mode directly). Options: `npm start -- --help`.
// The console demo of the core API that `npm start` used to run is `npm run demo:core`.
import { fileURLToPath } from 'node:url'
import { main } from '../app/dist/launch.js'

await main(process.argv.slice(2), fileURLToPath(new URL('../app/dist', import.meta.url)))
