from django.db import models
from django.utils.translation import gettext_lazy as _


class Gender(models.TextChoices):
    MALE = "M", _("male")
    FEMALE = "F", _("female")


class Relation(models.TextChoices):
    HEAD = "head", _("head of household")
    SPOUSE = "spouse", _("spouse")
    CHILD = "child", _("child")
    PARENT = "parent", _("parent")
    GRANDCHILD = "grandchild", _("grandchild")
    GRANDPARENT = "grandparent", _("grandparent")
    SIBLING = "sibling", _("sibling")
    CHILD_IN_LAW = "child_in_law", _("son/daughter-in-law")
    OTHER = "other", _("other")


class TagTarget(models.TextChoices):
    HOUSEHOLD = "household", _("household")
    RESIDENT = "resident", _("resident")
    BOTH = "both", _("household and resident")


class ListSource(models.TextChoices):
    CIVIL_AFFAIRS = "civil_affairs", _("civil affairs (民政)")
    MEDICAL_INSURANCE = "medical_insurance", _("medical insurance (医保)")
    DISABLED_FEDERATION = "disabled_federation", _("disabled persons' federation (残联)")
    OTHER = "other", _("other department")


class MatchStatus(models.TextChoices):
    MATCHED = "matched", _("matched")
    UNMATCHED = "unmatched", _("unmatched")
    AMBIGUOUS = "ambiguous", _("ambiguous")
    INVALID = "invalid", _("invalid ID number")


ETHNICITIES = [
    "汉族",
    "蒙古族",
    "回族",
    "藏族",
    "维吾尔族",
    "苗族",
    "彝族",
    "壮族",
    "布依族",
    "朝鲜族",
    "满族",
    "侗族",
    "瑶族",
    "白族",
    "土家族",
    "哈尼族",
    "哈萨克族",
    "傣族",
    "黎族",
    "傈僳族",
    "佤族",
    "畲族",
    "高山族",
    "拉祜族",
    "水族",
    "东乡族",
    "纳西族",
    "景颇族",
    "柯尔克孜族",
    "土族",
    "达斡尔族",
    "仫佬族",
    "羌族",
    "布朗族",
    "撒拉族",
    "毛南族",
    "仡佬族",
    "锡伯族",
    "阿昌族",
    "普米族",
    "塔吉克族",
    "怒族",
    "乌孜别克族",
    "俄罗斯族",
    "鄂温克族",
    "德昂族",
    "保安族",
    "裕固族",
    "京族",
    "塔塔尔族",
    "独龙族",
    "鄂伦春族",
    "赫哲族",
    "门巴族",
    "珞巴族",
    "基诺族",
]

# Default tags (DESIGN.md): code, Chinese name, target, key household (重点户).
DEFAULT_TAGS = [
    ("hardship", "困难户", TagTarget.HOUSEHOLD, True),
    ("petition", "矛盾信访户", TagTarget.HOUSEHOLD, True),
    ("family_planning", "计生重点户", TagTarget.HOUSEHOLD, True),
    ("difficult", "工作难点户", TagTarget.HOUSEHOLD, True),
    ("migrant", "外出务工户", TagTarget.HOUSEHOLD, False),
    ("economic", "经济发展户", TagTarget.HOUSEHOLD, False),
    ("dibao", "低保", TagTarget.BOTH, True),
    ("tekun", "特困", TagTarget.BOTH, True),
    ("severe_disability", "重残", TagTarget.BOTH, True),
    ("serious_illness", "大病", TagTarget.BOTH, True),
    ("left_behind_elderly", "留守老人", TagTarget.BOTH, True),
    ("empty_nest", "空巢", TagTarget.BOTH, True),
    ("left_behind_child", "留守儿童", TagTarget.RESIDENT, True),
    ("veteran", "退役军人", TagTarget.RESIDENT, False),
    ("high_medical_cost", "医疗费用自付超5万元", TagTarget.RESIDENT, True),
]
