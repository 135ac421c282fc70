"""The Aptos side of the SDK: node client, ABI, signing, sequence numbers, sender, errors.

Everything in this package is private; the public names (``Account``, ``Signer``...) are
re-exported from :mod:`kana_async`. Only :mod:`kana_async._aptos.signing` imports aptos-sdk.
"""
