"""Posts inside an item: a feed screenshot that shows two adverts is split into two parts.

Owns the rule that cuts one screenshot into the posts it shows, from what the case already
stores (the media's current photo regions and its OCR word boxes), and the lookups that put a
selector box, an OCR word or a matched photo region into its part.

The rule, generic across phone feeds (text above its photo), desktop feeds and chat layouts
(caption below its photo): photo regions stacked vertically are separate posts; photos whose
vertical ranges overlap (side by side) are one post. The cut between two stacked posts lies
half way between the bottom of the upper photo and the top of the lower one, so every box
belongs to the post whose photo is nearest vertically. A part's column is the horizontal span
of its photos: text outside every photo column (a desktop browser's left menu, its contact
list, its search box) belongs to no post and is left out of the part's text.

A cheap pixel signal refines the cut: a feed puts its posts on cards (or bubbles) and shows a
band of another colour between them. Rows that are one flat colour across the feed column,
a colour other than the one the OCR words sit on, are a separator; the cut goes there, and a
post whose photo is scrolled off screen but whose text (and number) shows becomes a part of
its own. The bands are found once per image by the analysis workers, from the greyscale copy
they decode for hashing, while its photo regions and OCR words are at hand
(analysis/worker.py); the pipeline's writer keeps them in the case's cache folder
(``PostsCache``), keyed by the OCR and photo regions they were found with. An image without
bands there (analysed by an older version, or the cache deleted) has them found here, from the
same greyscale copy, so both ways give the same bands.

Only a screenshot item showing exactly one image is ever split; posts and messages with their
own text and items with several media are one part. A part may hold no photo: the app's header,
a date, or a post whose photo is off screen; linking uses such a part only where it shows a
number (analysis/linking.py).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from evidence.atomic import write_atomic
from evidence.case import Case

from .hashing import HashingError, decode_grey

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in original image pixels
COLUMN_MARGIN = 0.03  # of the image width: text starts a little inside or outside its photo
SIDE_BY_SIDE = 0.5  # share of the shorter photo's height two photos must share to be one post


@dataclass(frozen=True)
class PostPart:
    """One post shown in an image: its area and the photo regions it holds."""

    index: int
    box: Box  # y0..y1 is the post's band; x0..x1 its column (the image width when no photo)
    regions: tuple[int, ...] = ()


@dataclass
class MediaPosts:
    """How one image divides into posts."""

    sha256: str
    width: int
    height: int
    parts: list[PostPart] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.parts)

    def part_of_box(self, box: Sequence[float]) -> int:
        """The part whose band holds the box's vertical centre (the nearest photo)."""
        return part_at(self.parts, (box[1] + box[3]) / 2)

    def part_of_region(self, region_id: int) -> int | None:
        for part in self.parts:
            if region_id in part.regions:
                return part.index
        return None

    def part_of_boxes(self, boxes: Iterable[Sequence[float]] | None) -> int | None:
        """The part most of ``boxes`` fall in; None when there are no boxes."""
        votes: dict[int, int] = defaultdict(int)
        for b in boxes or ():
            if len(b) == 4:
                votes[self.part_of_box(b)] += 1
        if not votes:
            return None
        return max(votes, key=lambda k: (votes[k], -k))

    def in_column(self, part: int, box: Sequence[float]) -> bool:
        x0, _, x1, _ = self.parts[part].box
        cx = (box[0] + box[2]) / 2
        return x0 <= cx <= x1


def part_at(parts: Sequence[PostPart], y: float) -> int:
    for part in parts:
        if y < part.box[3]:
            return part.index
    return parts[-1].index if parts else 0


def split_posts(photos: Sequence[tuple[int, Box]], width: int, height: int,
                separators: Sequence[tuple[int, int]] = (),
                words: Sequence[Sequence[float]] = ()) -> list[PostPart]:
    """Cut an image of ``width`` x ``height`` into posts.

    ``photos`` are its photo regions (id, box); ``separators`` bands (y0, y1) of flat colour
    between posts; ``words`` the OCR word boxes, used only to keep a part without a photo
    when text shows in it (a post whose photo is off screen).
    """
    groups: list[list[tuple[int, Box]]] = []
    for rid, box in sorted(photos, key=lambda p: (p[1][1], p[1][0])):
        if groups and _side_by_side(groups[-1], box):
            groups[-1].append((rid, box))
        else:
            groups.append([(rid, box)])
    spans = [(min(b[1] for _, b in g), max(b[3] for _, b in g)) for g in groups]
    seps = sorted(((y0 + y1) // 2) for y0, y1 in separators
                  if not any(top < (y0 + y1) / 2 < bottom for top, bottom in spans))
    cuts = set(seps)
    for (_, bottom), (top, _) in zip(spans, spans[1:], strict=False):
        if not any(bottom <= y <= top for y in seps):
            cuts.add(int(round((bottom + top) / 2)) if top > bottom else top)
    edges = [0, *sorted(c for c in cuts if 0 < c < height), max(height, 1)]
    bands = [(edges[k], edges[k + 1]) for k in range(len(edges) - 1)]
    keep = []
    for y0, y1 in bands:
        has_photo = any(y0 <= (t + b) / 2 < y1 for t, b in spans)
        has_text = any(y0 <= (w[1] + w[3]) / 2 < y1 for w in words)
        if has_photo or has_text or not keep:
            keep.append([y0, y1, has_photo])
        else:
            keep[-1][1] = y1  # an empty band joins the part above it
    # A leading band with neither photo nor text joins the part below it.
    if len(keep) > 1 and not keep[0][2] and not any(
            keep[0][0] <= (w[1] + w[3]) / 2 < keep[0][1] for w in words):
        keep[1][0] = keep[0][0]
        keep.pop(0)
    keep[-1][1] = max(keep[-1][1], height)
    margin = int(width * COLUMN_MARGIN)
    feed = (max(0, min(b[0] for _, b in photos) - margin),
            min(width, max(b[2] for _, b in photos) + margin)) if photos else (0, width)
    parts = []
    for k, (y0, y1, _) in enumerate(keep):
        inside = [(rid, b) for g in groups for rid, b in g if y0 <= (b[1] + b[3]) / 2 < y1]
        x0, x1 = feed
        if inside:
            x0 = max(0, min(b[0] for _, b in inside) - margin)
            x1 = min(width, max(b[2] for _, b in inside) + margin)
        parts.append(PostPart(k, (x0, y0, x1, y1), tuple(sorted(rid for rid, _ in inside))))
    return parts


def _side_by_side(group: list[tuple[int, Box]], box: Box) -> bool:
    for _, other in group:
        shared = min(other[3], box[3]) - max(other[1], box[1])
        shorter = min(other[3] - other[1], box[3] - box[1])
        if shorter > 0 and shared >= SIDE_BY_SIDE * shorter:
            return True
    return False


POSTS_VERSION = 1  # of the rule; the cache file is named after it
FLAT = 10  # grey levels a row may vary across the column and still be one flat colour
OTHER = 7  # grey levels a separator's colour must differ from the text's background
MIN_BAND = 0.004  # of the image height: thinner flat bands are rules inside a post


def find_separators(image: Image.Image, photos: Sequence[Box],
                    words: Sequence[Sequence[float]],
                    size: tuple[int, int] | None = None) -> list[tuple[int, int]]:
    """Bands (y0, y1) of flat colour across the feed column that are not the text background.

    ``image`` may be a reduced copy (as the analysis workers decode it for hashing) of an
    image whose full ``size`` is (width, height); ``photos``, ``words`` and the bands returned
    are in full-size pixels. The text background is the colour just above the OCR words (the
    card or bubble the post sits on); with no words there is nothing to compare against and no
    band is returned.
    """
    full_w, full_h = size or image.size
    if not words or full_w < 8 or full_h < 8 or image.width < 1 or image.height < 1:
        return []
    step = max(1, image.width // 480)
    grey = image if image.mode == "L" else image.convert("L")
    grey_arr = np.asarray(grey.reduce(step) if step > 1 else grey, dtype=np.int16)
    h, w = grey_arr.shape
    # Full-size pixels per working pixel; exactly ``step`` when the image is not reduced.
    sx, sy = full_w / image.width * step, full_h / image.height * step
    if photos:
        x0, x1 = min(b[0] for b in photos) / sx, max(b[2] for b in photos) / sx
    else:
        x0, x1 = w * 0.1, w * 0.9
    inset = (x1 - x0) * 0.03
    c0, c1 = int(max(0, x0 + inset)), int(min(w, x1 - inset))
    if c1 - c0 < 4:
        return []
    strip = grey_arr[:, c0:c1]
    flat = (strip.max(axis=1) - strip.min(axis=1)) <= FLAT
    level = strip.mean(axis=1)
    backs = []
    for box in words:
        y = int(box[1] / sy) - 2
        if 0 <= y < h and flat[y]:
            backs.append(int(level[y]) // 4)
    if not backs:
        return []
    back = Counter(backs).most_common(1)[0][0] * 4 + 2
    inside = np.zeros(h, dtype=bool)
    for b in photos:
        inside[max(0, int(b[1] / sy)):int(b[3] / sy) + 1] = True
    other = flat & (np.abs(level - back) > OTHER) & ~inside
    bands, start = [], None
    for y in range(h + 1):
        on = y < h and other[y]
        if on and start is None:
            start = y
        elif not on and start is not None:
            if (y - start) * sy >= max(2, MIN_BAND * full_h):
                bands.append((int(round(start * sy)), int(round(y * sy))))
            start = None
    return bands


def media_posts(case: Case, shas: Iterable[str] | None = None,
                screens: set[str] | None = None) -> dict[str, MediaPosts]:
    """Every readable image's posts, from its current photo regions.

    For the images in ``screens`` (screenshots), separator bands and OCR words refine the cut.
    The bands come from the posts cache, where the analysis workers' bands are kept, keyed by
    the OCR and regions they came from; only an image without bands for its current key is
    decoded here (``PostsCache.get``).
    """
    wanted = None if shas is None else set(shas)
    photos: dict[str, list[tuple[int, Box]]] = defaultdict(list)
    for rid, sha, x0, y0, x1, y1 in case.db.execute(
        "SELECT id, media_sha256, x0, y0, x1, y1 FROM regions"
        " WHERE current = 1 AND kind = 'photo'"
    ):
        if wanted is None or sha in wanted:
            photos[sha].append((rid, (x0, y0, x1, y1)))
    screens = screens or set()
    ocr_ids = {sha: ocr_id for ocr_id, sha in case.db.execute(
        "SELECT id, media_sha256 FROM ocr WHERE current = 1") if sha in screens}
    cache = PostsCache(case)
    out = {}
    for sha, width, height in case.db.execute(
        "SELECT sha256, width, height FROM media WHERE width IS NOT NULL AND height IS NOT NULL"
    ):
        if wanted is not None and sha not in wanted:
            continue
        boxes = photos.get(sha, [])
        if sha in ocr_ids:
            parts = cache.get(sha, ocr_ids[sha], boxes, width, height)
        else:
            parts = split_posts(boxes, width, height)
        out[sha] = MediaPosts(sha, width, height, parts)
    cache.save()
    return out


def cache_key(ocr_id: int, region_ids: Iterable[int]) -> str:
    """What a media's posts were found with: its current OCR and photo regions."""
    return f"{ocr_id}:{','.join(str(r) for r in sorted(region_ids))}"


def word_boxes(words: Iterable[dict]) -> list[tuple]:
    """The boxes of the OCR words that show text, the only words the cut looks at."""
    return [tuple(w["box"]) for w in words
            if isinstance(w, dict) and isinstance(w.get("box"), list | tuple)
            and len(w["box"]) == 4 and str(w.get("text") or "").strip()]


class PostsCache:
    """Each screenshot's separator bands and posts, keyed by the OCR and photo regions they
    were found with (``cache_key``), in ``cache/posts-vN.json``.

    The pipeline's writer ``put``s the bands its workers found; ``get`` cuts the posts from
    them, or finds the bands itself when there are none for the current key. The file is
    derived: deleting it costs one decode per screenshot the next time posts are needed.
    """

    def __init__(self, case: Case) -> None:
        self.case = case
        self.path = case.cache_dir / f"posts-v{POSTS_VERSION}.json"
        try:
            self.data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.data = {}
        if not isinstance(self.data, dict):
            self.data = {}
        self.dirty = False

    def put(self, sha: str, key: str, bands: Sequence[Sequence[int]]) -> None:
        """Keep the bands found for ``sha`` with the OCR and regions of ``key``."""
        self.data[sha] = {"key": key, "bands": [[int(b[0]), int(b[1])] for b in bands]}
        self.dirty = True

    def get(self, sha: str, ocr_id: int, photos: list[tuple[int, Box]], width: int,
            height: int) -> list[PostPart]:
        key = cache_key(ocr_id, (r for r, _ in photos))
        hit = self.data.get(sha)
        bands: list[tuple[int, int]] | None = None
        if isinstance(hit, dict) and hit.get("key") == key:
            try:
                if "parts" in hit:
                    return [PostPart(p[0], tuple(p[1]), tuple(p[2])) for p in hit["parts"]]
                bands = [(int(b[0]), int(b[1])) for b in hit["bands"]]
            except (KeyError, TypeError, IndexError, ValueError):
                bands = None
        row = self.case.db.execute("SELECT words FROM ocr WHERE id = ?", [ocr_id]).fetchone()
        words = word_boxes(load_words(row[0] if row else None))
        if bands is None:
            bands = []
            if words:
                try:
                    work, full_w, full_h = decode_grey(self.case.vault.path_for(sha))
                    bands = find_separators(work, [b for _, b in photos], words,
                                            (full_w, full_h))
                except (HashingError, OSError, ValueError, Image.DecompressionBombError):
                    bands = []  # no pixels: the photos alone cut the image
        parts = split_posts(photos, width, height, bands, words)
        self.data[sha] = {"key": key, "bands": [list(b) for b in bands],
                          "parts": [[p.index, list(p.box), list(p.regions)] for p in parts]}
        self.dirty = True
        return parts

    def save(self) -> None:
        if not self.dirty:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            data = json.dumps(self.data).encode("utf-8")
            write_atomic(self.path, lambda out: out.write(data), sync=False)
            self.dirty = False
        except OSError:
            pass  # a read-only case folder: the posts are found again next time


@dataclass
class ItemPosts:
    """The parts of one item: a split screenshot's posts, or a single part."""

    item_id: int
    media: MediaPosts | None  # set when the item is a screenshot of this one image

    @property
    def count(self) -> int:
        return self.media.count if self.media else 1

    def part_of_selector(self, media_sha: str | None, boxes: object) -> int | None:
        """The part a selector was seen in; None when a split item gives no place for it."""
        if self.count == 1:
            return 0
        if media_sha != self.media.sha256 or not isinstance(boxes, list):
            return None
        return self.media.part_of_boxes(b for b in boxes if isinstance(b, list | tuple))


def _screens(case: Case) -> dict[int, str | None]:
    """Each item's one image when it is a screenshot of a single image, else None."""
    shown: dict[int, set[str]] = defaultdict(set)
    for item_id, sha in case.db.execute(
        "SELECT item_id, media_sha256 FROM sightings WHERE item_id IS NOT NULL"
    ):
        shown[item_id].add(sha)
    single = {}
    for item_id, kind in case.db.execute("SELECT id, kind FROM items"):
        shas = shown.get(item_id, set())
        single[item_id] = next(iter(shas)) if kind == "screenshot" and len(shas) == 1 else None
    return single


def case_posts(case: Case) -> tuple[dict[str, MediaPosts], dict[int, ItemPosts]]:
    """The posts of every image and of every item of the case."""
    single = _screens(case)
    media = media_posts(case, screens={s for s in single.values() if s})
    return media, {i: ItemPosts(i, media.get(sha) if sha else None) for i, sha in single.items()}


def item_posts(case: Case) -> dict[int, ItemPosts]:
    """Every item's parts. Only a screenshot item showing exactly one image is ever split."""
    return case_posts(case)[1]


def part_texts(posts: MediaPosts, words: Sequence[dict]) -> list[str]:
    """The OCR text inside each part's band and column, one line per OCR line.

    Words outside every photo column (interface menus beside a desktop feed) are dropped.
    """
    lines: list[dict[tuple, list[str]]] = [defaultdict(list) for _ in posts.parts]
    for w in words:
        box = w.get("box")
        text = (w.get("text") or "").strip()
        if not text or not box or len(box) != 4:
            continue
        k = posts.part_of_box(box)
        if not posts.in_column(k, box):
            continue
        lines[k][(w.get("block"), w.get("par"), w.get("line"))].append(text)
    return ["\n".join(" ".join(ws) for ws in part.values()) for part in lines]


def load_words(value: str | None) -> list[dict]:
    try:
        words = json.loads(value or "[]")
    except ValueError:
        return []
    return [w for w in words if isinstance(w, dict)] if isinstance(words, list) else []
