"""The server's features, one module or package each; `build_server()` (server/app.py) calls each one's
`setup()`: `sync` (lifecycle, document sync, settings), `code_actions`, `proposals`, `models`, `status`,
`asking` (questions to the user), `chat` (sessions, turns, updates, request context)."""
