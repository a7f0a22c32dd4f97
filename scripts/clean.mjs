// Removes the previous build so no stale file from a renamed source can be loaded.
import { rmSync } from 'node:fs'
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true })
