#!/usr/bin/env python3
"""Writes a customer CSV for the import benchmark (bench/import.sh).

    python3 bench/gen_customers.py ROWS OUT.csv

UTF-8 with BOM and CRLF, the team's Chinese headers, as Excel saves it. Every
row is valid: 60% carry a unique unified social credit code with a correct
check character, every row a contact with a unique mobile number, an owner
from the five benchmark reps (bench-rep-N@rally.example) or none. Seeded,
so runs compare like with like.
"""

import random
import sys

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
REGIONS = ["华东", "华南", "华北", "华中", "西南", "西北", "东北"]
CITIES = ["上海", "广州", "北京", "武汉", "成都", "西安", "沈阳", "杭州", "深圳", "南京"]
INDUSTRIES = ["制造业", "零售", "建筑", "电子", "连锁", "器械", "物流", "食品", "新能源", "化工"]
TAGS = ["S级", "B级", "C级", "重点", "老客户", "竞品客户"]
PAINS = ["采购成本高", "效率低", "质量要求高", "交期紧", "价格敏感"]
SOURCES = ["展会", "官网", "渠道商", "电话营销", "老客户转介绍"]
HEADERS = ["客户名称", "统一社会信用代码", "所属行业", "区域", "城市", "年采购额", "联系人", "职务",
           "电话", "邮箱", "负责人", "标签", "痛点", "来源"]


def credit_code(n: int) -> str:
    body = "91" + "%06d" % (110000 + n % 800000) + "MA" + "".join(
        ALPHABET[(n // 31 ** i) % 31] for i in range(7))
    total = sum(ALPHABET.index(c) * w for c, w in zip(body, WEIGHTS))
    return body + ALPHABET[(31 - total % 31) % 31]


def quote(cell: str) -> str:
    return '"' + cell.replace('"', '""') + '"' if any(c in cell for c in ',"\r\n') else cell


def main() -> None:
    rows, out = int(sys.argv[1]), sys.argv[2]
    rnd = random.Random(20251010)
    with open(out, "w", encoding="utf-8-sig", newline="") as f:
        f.write(",".join(HEADERS) + "\r\n")
        for i in range(rows):
            owner = "" if i % 6 == 5 else "bench-rep-%d@rally.example" % (i % 5 + 1)
            cells = [
                "快响测试%06d科技有限公司" % i,
                credit_code(i) if i % 5 < 3 else "",
                rnd.choice(INDUSTRIES),
                REGIONS[i % 7],
                rnd.choice(CITIES),
                "{:,}".format(rnd.randrange(0, 50_000_000)),
                "联系人%d" % i,
                "采购经理",
                "139%08d" % i,
                "buyer%d@example.com" % i,
                owner,
                ",".join(rnd.sample(TAGS, rnd.randrange(0, 3))),
                rnd.choice(PAINS),
                rnd.choice(SOURCES),
            ]
            f.write(",".join(quote(c) for c in cells) + "\r\n")


if __name__ == "__main__":
    main()
