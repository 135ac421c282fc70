"""kana_async: the asyncio-native SDK for Kana Perps (perpetual futures on Aptos)."""
