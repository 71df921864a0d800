"""The §4 world (``--profile s4``): brands and distributors, calibrated to assessment §4.

``plan.py`` plans the brands and their captured URLs to the assessment's figures,
``world.py`` writes the reports around them and the captures (:mod:`vigil.synth.captures`),
``inputs.py`` the other assessment inputs (test purchases, expert estimates, search volumes).
"""
