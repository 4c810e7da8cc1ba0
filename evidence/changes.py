"""What a write changed, so each view refreshes only what it shows (no reload of everything)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ChangeSet:
    items: set[int] = field(default_factory=set)
    media: set[str] = field(default_factory=set)
    links: set[int] = field(default_factory=set)
    tags: bool = False
    sources: bool = False
    watchlist: bool = False
    audit: bool = True

    def merge(self, other: ChangeSet) -> ChangeSet:
        self.items |= other.items
        self.media |= other.media
        self.links |= other.links
        self.tags = self.tags or other.tags
        self.sources = self.sources or other.sources
        self.watchlist = self.watchlist or other.watchlist
        self.audit = self.audit or other.audit
        return self

    @property
    def empty(self) -> bool:
        return not (self.items or self.media or self.links or self.tags or self.sources
                    or self.watchlist)
