"""kana_async.sim: a local Kana Perps exchange (REST, WebSocket, fake Aptos node) on 127.0.0.1."""
