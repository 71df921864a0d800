"""The one compiled part of Vigil: the skeleton walk of the template fingerprint in C.

Everything else is in pyproject.toml. The extension is optional: when it cannot be built
(no C compiler or no Python headers) the install still succeeds and
``vigil.attribute.fingerprint`` uses its pure-Python walk, which gives the same features
(docs/fingerprint.md, "The compiled walk").
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("vigil.attribute._walk", ["src/vigil/attribute/_walk.c"], optional=True)])
