"""The evidence store (DuckDB file, migrations) and the engines that run set steps."""

from vigil.store.engine import DuckDBEngine, Engine, default_db_path
from vigil.store.store import Store, utcnow

__all__ = ["DuckDBEngine", "Engine", "Store", "default_db_path", "utcnow"]
