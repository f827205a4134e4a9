"""Cache port: Redis when `REDIS_URL` is set, an in-process LRU with TTL otherwise."""

from mais.adapters.cache.memory import MemoryCache
from mais.adapters.cache.port import Cache, CacheStats
from mais.adapters.cache.redis import RedisCache
from mais.adapters.cache.tiered import TieredCache

__all__ = ["Cache", "CacheStats", "MemoryCache", "RedisCache", "TieredCache"]
