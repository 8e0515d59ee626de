"""The scheduler: loads runners on demand, shares them, keeps them warm, evicts and queues."""

from pollama.scheduler.loaded import LoadedRunner, ModelRef
from pollama.scheduler.scheduler import Lease, Scheduler

__all__ = ["Lease", "LoadedRunner", "ModelRef", "Scheduler"]
