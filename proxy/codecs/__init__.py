"""Codecs: what a mapping file cannot say well, as named pure functions.

A mapping rule calls one with `fn: <module>.<function>`; each function takes
(value, sources) and returns the new value. `core` (proxy/codecs/core.py) holds the
vendor-neutral ones; any other module is a vendor's codec.py in its folder
(proxy/vendors/<vendor>/codec.py). `proxy.vendors.function(name)` finds either.
"""
