"""Reading a scrape back with prometheus_client's own parser."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


class Scrape:
    """The samples of one exposition, looked up by sample name and labels."""

    def __init__(self, text: str) -> None:
        self.families = {family.name: family for family in text_string_to_metric_families(text)}
        self.samples = [s for family in self.families.values() for s in family.samples]

    def value(self, name: str, **labels: str) -> float:
        """The sample `name` with exactly `labels`; 0 when there is none (a series not yet
        touched)."""
        found = [s.value for s in self.samples if s.name == name and s.labels == labels]
        assert len(found) <= 1, f"{name}{labels} appears {len(found)} times"
        return found[0] if found else 0.0

    def series(self, name: str) -> dict[tuple[tuple[str, str], ...], float]:
        """Every sample called `name`, by its sorted labels."""
        return {tuple(sorted(s.labels.items())): s.value for s in self.samples if s.name == name}

    def type_of(self, family: str) -> str:
        return self.families[family].type
