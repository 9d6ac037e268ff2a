"""Random but realistic values for the scale generator: names, ID numbers, phones, weights.

Everything here is pure Python driven by a ``random.Random`` so that a seed reproduces a run.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from marketplace.households.idnumbers import check_char

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
            "于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹"
            "薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱覃武戴孔汤庞樊兰殷施陈向")
GIVEN = ("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红林建国志文辉春梅海燕"
         "小云俊德福生金凤荣珍宏伟丹婷雪琴波斌鹏飞宇浩然子涵欣怡梓轩思雨佳豪")

#: Households per county, relative: rural and mountain counties carry more assistance cases.
KIND_WEIGHT = {"district": 0.45, "county_city": 1.0, "county": 1.5, "autonomous_county": 2.0}
#: Prefectures of the western and southern mountains (武陵山, 雪峰山, 罗霄山 areas).
MOUNTAIN_PREFECTURES = {"4331": 1.4, "4312": 1.3, "4308": 1.3, "4305": 1.2, "4311": 1.2,
                        "4309": 1.1, "4310": 1.1}

#: Household groups and how often they occur (about 30% marginal and monitoring targets).
GROUP_SHARES = (("dibao", 0.62), ("tekun", 0.10), ("low_income", 0.18),
                ("relapse_monitoring", 0.12), ("disabled", 0.15), ("seriously_ill", 0.08),
                ("elderly_alone", 0.07), ("unsupported_child", 0.01), ("orphan", 0.005),
                ("rigid_expense", 0.05))

#: Need statuses over a year of work and their shares (a good share is on the board).
STATUS_SHARES = (("draft", 0.04), ("submitted", 0.06), ("reviewed", 0.04), ("approved", 0.04),
                 ("published", 0.30), ("partially_matched", 0.10), ("matched", 0.08),
                 ("fulfilled", 0.25), ("closed", 0.04), ("returned", 0.03),
                 ("withdrawn", 0.02))
PUBLISHED_STATUSES = frozenset({"published", "partially_matched", "matched", "fulfilled",
                                "closed"})
CAUSE_SHARES = (("illness", 0.34), ("disability", 0.14), ("education", 0.16),
                ("disaster", 0.06), ("unemployment", 0.12), ("accident", 0.06), ("other", 0.12))
#: funds : goods : services lines.
KIND_SHARES = (("funds", 0.45), ("goods", 0.32), ("services", 0.23))
FUNDS_CATEGORIES = (("living", 0.40), ("medical", 0.28), ("education", 0.16),
                    ("housing", 0.08), ("disaster", 0.08))
#: Lines per need: 1..5, mean about 2.25 (with ~1.2 needs a household: ~2.7 lines a year).
LINES_PER_NEED = ((1, 0.30), (2, 0.30), (3, 0.2), (4, 0.12), (5, 0.08))
RELATIONS_AFTER_HEAD = ("spouse", "child", "child", "parent", "grandchild", "sibling", "other")


def weighted(rng: random.Random, shares) -> str:
    """Pick a key of ``((key, share), ...)`` in proportion to its share."""
    keys, weights = zip(*shares, strict=True)
    return rng.choices(keys, weights)[0]


def county_weight(code: str, kind: str) -> float:
    """Relative number of assisted households in a county."""
    return KIND_WEIGHT.get(kind, 1.0) * MOUNTAIN_PREFECTURES.get(code[:4], 1.0)


def household_size(rng: random.Random, urban: bool) -> int:
    """1..6 members: mean about 1.5 in towns and 1.9 in the countryside (2022 dibao data)."""
    weights = (0.62, 0.28, 0.06, 0.03, 0.01, 0.0) if urban else (0.45, 0.32, 0.12, 0.07,
                                                                 0.03, 0.01)
    return rng.choices((1, 2, 3, 4, 5, 6), weights)[0]


def person_name(rng: random.Random, surname: str | None = None) -> str:
    """A Chinese name: surname and one or two given characters."""
    given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
    return (surname or rng.choice(SURNAMES)) + given


def birth_date(rng: random.Random, relation: str, head_born: date | None, today: date) -> date:
    """A plausible birth date for a member given the head's."""
    if relation == "head" or head_born is None:
        age_days = rng.randint(20 * 365, 88 * 365)
        return today - timedelta(days=age_days)
    offset = {"spouse": rng.randint(-6 * 365, 6 * 365),
              "child": rng.randint(20 * 365, 40 * 365),
              "grandchild": rng.randint(45 * 365, 65 * 365),
              "parent": -rng.randint(20 * 365, 35 * 365),
              "sibling": rng.randint(-10 * 365, 10 * 365)}.get(relation,
                                                                 rng.randint(-20 * 365, 30 * 365))
    born = head_born + timedelta(days=offset)
    return min(born, today - timedelta(days=rng.randint(30, 365)))


def id_number(rng: random.Random, county: str, born: date, male: bool) -> str:
    """A valid 18-character ID number (GB 11643: odd sequence digit for men, MOD 11-2 check)."""
    seq = rng.randrange(0, 500) * 2 + (1 if male else 0)
    first17 = f"{county}{born:%Y%m%d}{seq:03d}"
    return first17 + check_char(first17)


def mobile(rng: random.Random) -> str:
    """An 11-digit mainland mobile number."""
    return rng.choice(("13", "15", "17", "18", "19")) + f"{rng.randrange(10**9):09d}"
