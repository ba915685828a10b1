"""The economic model: scenario, negotiation domains, the contract, the stage game, analysis and
theory. Pure: no I/O, no clock.
"""
