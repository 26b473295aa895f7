"""Name lists for demo data: surnames with their frequency, given names by generation and
gender, Mongolian names for Horqin (科尔沁) households, and parts of place names.

The surname weights follow the order and rough shares (per mille) of the national surname
ranking; a village adds its own dominant clans on top (程集村 has many 程, 王湖村 many 王).
Given names follow fashion: a woman born in 1950 is 秀英 or 桂兰, one born in 2012 is 子涵.
"""

from __future__ import annotations

import bisect
import itertools
import random

# (surname, share per mille of the population), national ranking.
SURNAMES: list[tuple[str, float]] = [
    ("王", 71), ("李", 70), ("张", 67), ("刘", 54), ("陈", 45), ("杨", 31), ("赵", 23),
    ("黄", 22), ("周", 21), ("吴", 20), ("徐", 17), ("孙", 15), ("胡", 13), ("朱", 13),
    ("高", 12), ("林", 12), ("何", 12), ("郭", 12), ("马", 11), ("罗", 9), ("梁", 9),
    ("宋", 8), ("郑", 8), ("谢", 7), ("韩", 7), ("唐", 7), ("冯", 6), ("于", 6), ("董", 6),
    ("萧", 6), ("程", 6), ("曹", 6), ("袁", 5), ("邓", 5), ("许", 5), ("傅", 5), ("沈", 5),
    ("曾", 5), ("彭", 5), ("吕", 5), ("苏", 5), ("卢", 5), ("蒋", 5), ("蔡", 5), ("贾", 4),
    ("丁", 4), ("魏", 4), ("薛", 4), ("叶", 4), ("阎", 4), ("余", 4), ("潘", 4), ("杜", 4),
    ("戴", 4), ("夏", 4), ("钟", 4), ("汪", 4), ("田", 4), ("任", 4), ("姜", 4), ("范", 4),
    ("方", 3), ("石", 3), ("姚", 3), ("谭", 3), ("廖", 3), ("邹", 3), ("熊", 3), ("金", 3),
    ("陆", 3), ("郝", 3), ("孔", 3), ("白", 3), ("崔", 3), ("康", 3), ("毛", 3), ("邱", 3),
    ("秦", 3), ("江", 3), ("史", 3), ("顾", 3), ("侯", 3), ("邵", 3), ("孟", 3), ("龙", 3),
    ("万", 3), ("段", 3), ("雷", 3), ("钱", 3), ("汤", 3), ("尹", 3), ("黎", 2), ("易", 2),
    ("常", 2), ("武", 2), ("乔", 2), ("贺", 2), ("赖", 2), ("龚", 2), ("文", 2), ("葛", 2),
    ("牛", 2), ("鲁", 2), ("岳", 2), ("齐", 2), ("庞", 2), ("倪", 2), ("祁", 1), ("闫", 2),
]  # fmt: skip

# Given names by birth cohort (upper bound of the birth year, exclusive) and gender.
GIVEN_NAMES: list[tuple[int, dict[str, list[str]]]] = [
    (
        1960,
        {
            "M": "建国 建华 国强 德福 福贵 长江 金山 树林 文明 保国 振华 玉山 有才 占奎 广田 "
            "家富 永生 春生 秋生 满仓 德胜 明德 守财 宝山 兴旺 学文 志远 海清 成林 永福".split(),
            "F": "秀英 桂英 秀兰 玉兰 桂兰 凤英 淑珍 素珍 秀珍 翠花 桂芝 玉梅 春梅 兰英 金凤 "
            "秀云 玉珍 凤兰 素英 桂香 秀芝 玉英 桂珍 凤芝 淑兰 春兰 金兰 秀荣 玉芳 秀华".split(),
        },
    ),
    (
        1980,
        {
            "M": "伟 军 勇 强 建军 红军 卫东 志刚 海军 国华 永刚 红兵 建平 小兵 立新 东升 "
            "文华 志强 明 刚 卫国 向阳 建设 跃进 新民 庆华 春雷 爱国 永强 国平".split(),
            "F": "红 丽 霞 燕 艳 红梅 丽华 小红 秀芳 桂芳 玉霞 海燕 翠萍 春燕 凤霞 红霞 丽萍 "
            "小燕 玲 敏 卫红 爱华 月华 秀梅 雪梅 冬梅 红英 彩霞 秀娟 爱萍".split(),
        },
    ),
    (
        2000,
        {
            "M": "磊 鹏 涛 超 杰 浩 斌 亮 帅 晓东 文杰 俊杰 志伟 海涛 明亮 亚飞 鹏飞 振宇 "
            "宇 阳 凯 龙 飞 健 晨 洋 旭 辉 伟伟 少华".split(),
            "F": "静 丽娟 婷婷 娟 倩 雪 晶晶 欢欢 丹丹 莉 晓燕 慧 佳 梦 蕾 琳 晓丽 园园 "
            "甜甜 露露 娜 媛媛 倩倩 文静 晓雪 珊珊 亚楠 玉洁 佳佳 悦".split(),
        },
    ),
    (
        9999,
        {
            "M": "浩然 子轩 宇航 一鸣 俊熙 皓轩 梓豪 博文 子墨 天佑 睿 铭泽 宇轩 思远 沐阳 "
            "子豪 泽宇 嘉豪 奕辰 浩宇 梓睿 锦程 宇泽 晨阳 子昂 俊豪 明轩 雨泽 辰逸 安然".split(),
            "F": "欣怡 梓涵 子涵 雨桐 诗涵 可馨 一诺 梦琪 语桐 思涵 紫萱 若汐 雨欣 佳怡 "
            "梓萱 欣妍 芷若 依诺 沐晴 心怡 雨涵 可欣 诗雨 梦瑶 语嫣 安琪 若曦 梓琪 思琪 悦溪".split(),
        },
    ),
]

# Mongolian names (科尔沁): often a full name without a Chinese surname …
MONGOLIAN_NAMES = {
    "M": "巴特尔 额尔敦 宝音 朝鲁 苏和 巴雅尔 阿拉坦仓 那顺 特木尔 乌力吉 哈斯 满都拉 孟和 "
    "斯琴 布和 达来 毕力格 吉日嘎拉 朝克图 图门 格日勒图 额尔德木图 巴图 乌恩 达瓦".split(),
    "F": "其其格 萨仁 乌云 斯琴高娃 娜仁花 乌日娜 高娃 托娅 塔娜 琪琪格 阿茹娜 萨日娜 乌兰 "
    "图雅 苏日娜 格日乐 吉雅 诺敏 敖敦 乌日汗 萨其拉 娜布其 其木格 额尔敦其其格 包玉梅".split(),
}
# … or a surname taken from the clan name (包 from 孛儿只斤, 白, 韩, 吴 …) and a Chinese name.
MONGOLIAN_SURNAMES: list[tuple[str, float]] = [
    ("包", 30), ("白", 18), ("韩", 10), ("吴", 8), ("宝", 8), ("鲍", 6), ("何", 5), ("陈", 5),
    ("金", 4), ("海", 3), ("乌", 2), ("那", 2),
]  # fmt: skip
MANCHU_SURNAMES: list[tuple[str, float]] = [
    ("关", 20), ("佟", 12), ("赵", 10), ("富", 6), ("那", 6), ("肖", 6), ("金", 8), ("王", 8),
    ("郎", 4), ("白", 4),
]  # fmt: skip

CHINESE_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 → 一, 12 → 十二, 20 → 二十, 35 → 三十五 (enough for grid numbers below 100)."""
    if n < 10:
        return CHINESE_DIGITS[n]
    if n < 20:
        return "十" + (CHINESE_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return CHINESE_DIGITS[n // 10] + "十" + (CHINESE_DIGITS[n % 10] if n % 10 else "")
    return str(n)


class WeightedChoice:
    """Fast repeated weighted choice (bisect over cumulative weights)."""

    def __init__(self, items: list[tuple[str, float]]):
        self.values = [v for v, _ in items]
        self.cum = list(itertools.accumulate(w for _, w in items))

    def __call__(self, rng: random.Random) -> str:
        return self.values[bisect.bisect_right(self.cum, rng.random() * self.cum[-1])]


NATIONAL_SURNAME = WeightedChoice(SURNAMES)
MONGOLIAN_SURNAME = WeightedChoice(MONGOLIAN_SURNAMES)
MANCHU_SURNAME = WeightedChoice(MANCHU_SURNAMES)


def surname_picker(dominant: list[tuple[str, float]]) -> WeightedChoice:
    """Surnames of one village: its clans (a share 0–1 each) on top of the national mix."""
    total = sum(w for _, w in SURNAMES)
    rest = max(0.0, 1.0 - sum(share for _, share in dominant))
    items = list(dominant) + [(name, w * rest / total) for name, w in SURNAMES]
    return WeightedChoice(items)


def given_name(rng: random.Random, birth_year: int, gender: str) -> str:
    for upper, names in GIVEN_NAMES:
        if birth_year < upper:
            return rng.choice(names[gender])
    return rng.choice(GIVEN_NAMES[-1][1][gender])


def person_name(rng: random.Random, surname: str, birth_year: int, gender: str) -> str:
    return surname + given_name(rng, birth_year, gender)


def mongolian_name(rng: random.Random, birth_year: int, gender: str) -> str:
    """A Horqin Mongolian name: older people mostly go by a Mongolian name alone, younger ones
    more often by a Chinese-style name with a clan surname."""
    if rng.random() < (0.7 if birth_year < 1980 else 0.35):
        return rng.choice(MONGOLIAN_NAMES[gender])
    return MONGOLIAN_SURNAME(rng) + given_name(rng, birth_year, gender)


# Place-name parts (for generated towns and villages in the county preset).
HAN_VILLAGE_NAMES = (
    "红峰 永丰 太平 新立 兴隆 胜利 民主 前进 双山 三合 幸福 团结 和平 长胜 东升 西岭 "
    "北沟 南岗 光明 富强 德胜 保安 平安 吉祥 公兴 义和 长发 庆丰 丰收 新华 建国 友谊 "
    "复兴 永安 红光 跃进 合发 宝泉 大石 双合 联合 万宝 永兴 镇西 复合 丰产 兴安 金星"
).split()
MONGOLIAN_VILLAGE_NAMES = (
    "巴彦塔拉 乌兰哈达 白音花 查干诺尔 哈拉黑 宝力根花 额尔敦宝拉格 阿拉坦花 希日塔拉 "
    "呼和哈达 那仁宝力格 敖包山 巴彦茫哈 乌兰召 白音胡硕 查干套海 好田 哈达图 满都拉 "
    "乌兰浩特 图门 温都尔 巴彦乌兰 巴仁哲里木 阿力得尔 西日嘎 伊和淖尔 吉日嘎郎 "
    "额木庭高勒 桃合木 宝日呼吉尔 莫力庙 巴拉格歹 胡日哈 哈日努拉 乌兰胡硕 特门 达日罕"
).split()
COMMUNITY_NAMES = "兴安 科尔沁 幸福 和平 民族 光明 新城 阳光 丰泽 团结".split()

RURAL_MICROGRID_NAMES = "东头 西头 南庄 北庄 前庄 后庄 中庄 河沿 大桥 老井".split()
URBAN_MICROGRID_NAMES = "一片区 二片区 三片区 四片区 五片区".split()
