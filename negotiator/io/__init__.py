"""Input and output: the wire format, typed message bodies, the ZeroMQ bus, CURVE security and the
hash-chained event log.
"""
