"""The 24 mandatory items of 三务三资 in 6 categories (党务 村务 财务 / 资金 资产 资源), published
月公示、季汇总、年报告. Configurable afterwards; this only seeds the defaults."""

from django.db import migrations

M, Q, A = "monthly", "quarterly", "annual"

DEFAULT_ITEMS = [
    # 党务
    ("party-development", "党员发展", "party", Q, "发展对象、预备党员、转正情况"),
    ("party-dues", "党费收缴", "party", Q, "党员党费交纳情况"),
    ("party-meetings", "三会一课开展情况", "party", Q, "支部党员大会、支委会、党小组会和党课"),
    ("party-committee", "党组织班子及分工", "party", A, "村党组织班子成员及分工、承诺践诺"),
    # 村务
    ("village-decisions", "重大事项决策", "village", Q, "四议两公开决策事项及结果"),
    ("subsistence-allowance", "低保对象", "village", Q, "低保、特困供养对象及标准"),
    ("subsidy-list", "补贴发放名单", "village", Q, "惠农补贴、救助资金发放名单"),
    ("homestead-approval", "宅基地审批", "village", Q, "宅基地申请、审批情况"),
    ("cadre-pay", "村干部报酬", "village", A, "村干部基本报酬和绩效报酬"),
    # 财务
    ("income-expense", "收支明细", "finance", M, "村集体每月收支明细"),
    ("finance-summary", "财务收支汇总", "finance", Q, "季度收支汇总"),
    ("budget-final-accounts", "年度财务预决算", "finance", A, "年度财务预算和决算"),
    ("debts", "债权债务", "finance", A, "村集体债权债务情况"),
    # 资金
    ("special-funds", "上级专项资金", "funds", Q, "上级拨付专项资金的使用"),
    ("one-matter-funds", "一事一议筹资筹劳", "funds", Q, "一事一议筹资筹劳及奖补资金"),
    ("collective-income", "集体经营性收入", "funds", Q, "集体经营性收入及分配"),
    ("linkage-funds", "衔接资金使用", "funds", Q, "巩固衔接（扶贫）资金项目及使用"),
    # 资产
    ("collective-assets", "集体资产", "assets", A, "集体资产清查登记台账"),
    ("asset-leasing", "资产出租出借", "assets", Q, "集体资产出租、出借及收益"),
    ("asset-disposal", "资产处置", "assets", Q, "集体资产处置情况"),
    ("construction-projects", "工程项目建设", "assets", Q, "村级工程项目招投标、建设和验收"),
    # 资源
    ("resource-contracting", "资源发包", "resources", Q, "土地、林地、水面等资源发包"),
    ("land-compensation", "土地征收补偿", "resources", Q, "征地补偿款分配发放"),
    ("land-transfer", "土地流转", "resources", A, "土地承包经营权流转情况"),
]


def seed(apps, schema_editor):
    Item = apps.get_model("disclosure", "DisclosureItem")
    for order, (code, name, category, period_kind, description) in enumerate(DEFAULT_ITEMS, 1):
        Item.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "category": category,
                "period_kind": period_kind,
                "description": description,
                "order": order * 10,
                "is_mandatory": True,
                "is_active": True,
            },
        )


def unseed(apps, schema_editor):
    Item = apps.get_model("disclosure", "DisclosureItem")
    Item.objects.filter(
        code__in=[c for c, *_ in DEFAULT_ITEMS], disclosures__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("disclosure", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
