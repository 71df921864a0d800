"""The §3 world (``--profile s3``, the default): hosting, calibrated to assessment §3.

``world.py`` writes it one site family at a time (``families.py``) to the targets of
``calibration.py``, with a small set of captures made by :mod:`vigil.synth.captures`.
"""
