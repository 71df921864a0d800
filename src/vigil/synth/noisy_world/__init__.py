"""The noisy world (``--profile noisy``): a small §4 world that is hard the ways real pages are.

``world.py`` plans its distributors, brands, redesigns and shared kits, writes the reports
around them (as the §4 world does) and the captures and truth (:mod:`vigil.synth.captures`);
``loads.py`` spells each page's identifiers, picks its decoy blocks and makes every load of a
page differ.
"""
