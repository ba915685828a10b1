"""The mediator: the SimPy clock's coordinator, the session with the parties, the rules it
enforces, the phase drivers and what each party may see.
"""
