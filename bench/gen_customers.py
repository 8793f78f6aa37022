#!/usr/bin/env python3
"""Writes a customer file for the import benchmarks (bench/import.sh, bench/import_memory.sh).

    python3 bench/gen_customers.py ROWS OUT.csv
    python3 bench/gen_customers.py ROWS OUT.xlsx

CSV: UTF-8 with BOM and CRLF, the team's Chinese headers, as Excel saves it.
XLSX: one sheet laid out as Excel writes it (every text in the shared
strings, 年采购额 a number, a <dimension>), streamed into the zip. Every
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


def rows(n: int):
    rnd = random.Random(20251010)
    for i in range(n):
        owner = "" if i % 6 == 5 else "bench-rep-%d@rally.example" % (i % 5 + 1)
        yield [
            "快响测试%06d科技有限公司" % i,
            credit_code(i) if i % 5 < 3 else "",
            rnd.choice(INDUSTRIES),
            REGIONS[i % 7],
            rnd.choice(CITIES),
            rnd.randrange(0, 50_000_000),
            "联系人%d" % i,
            "采购经理",
            "139%08d" % i,
            "buyer%d@example.com" % i,
            owner,
            ",".join(rnd.sample(TAGS, rnd.randrange(0, 3))),
            rnd.choice(PAINS),
            rnd.choice(SOURCES),
        ]


def write_csv(n: int, out: str) -> None:
    with open(out, "w", encoding="utf-8-sig", newline="") as f:
        f.write(",".join(HEADERS) + "\r\n")
        for cells in rows(n):
            cells[5] = "{:,}".format(cells[5])
            f.write(",".join(quote(c) for c in cells) + "\r\n")


def column(i: int) -> str:
    return chr(ord("A") + i)


def write_xlsx(n: int, out: str) -> None:
    from xml.sax.saxutils import escape
    import zipfile

    strings: dict = {}

    def shared(text: str) -> int:
        return strings.setdefault(text, len(strings))

    ns = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>')
        z.writestr("_rels/.rels", f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{pkg}"><Relationship Id="rId1" Type="{ns}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml", f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{main}" xmlns:r="{ns}"><sheets><sheet name="客户清单" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels", f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{pkg}"><Relationship Id="rId1" Type="{ns}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{ns}/sharedStrings" Target="sharedStrings.xml"/><Relationship Id="rId3" Type="{ns}/styles" Target="styles.xml"/></Relationships>')
        z.writestr("xl/styles.xml", f'<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="{main}"><cellXfs count="1"><xf numFmtId="0"/></cellXfs></styleSheet>')
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            def line(r: int, cells: list) -> None:
                parts = [f'<row r="{r}">']
                for i, value in enumerate(cells):
                    ref = f"{column(i)}{r}"
                    if isinstance(value, int):
                        parts.append(f'<c r="{ref}"><v>{value}</v></c>')
                    elif value:
                        parts.append(f'<c r="{ref}" t="s"><v>{shared(value)}</v></c>')
                parts.append("</row>")
                sheet.write("".join(parts).encode())

            sheet.write(f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{main}"><dimension ref="A1:{column(len(HEADERS) - 1)}{n + 1}"/><sheetData>'.encode())
            line(1, HEADERS)
            for r, cells in enumerate(rows(n), start=2):
                line(r, cells)
            sheet.write(b"</sheetData></worksheet>")
        with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as sst:
            sst.write(f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{main}" uniqueCount="{len(strings)}">'.encode())
            chunk = []
            for text in strings:
                chunk.append(f"<si><t>{escape(text)}</t></si>")
                if len(chunk) >= 10_000:
                    sst.write("".join(chunk).encode())
                    chunk.clear()
            sst.write(("".join(chunk) + "</sst>").encode())


def main() -> None:
    n, out = int(sys.argv[1]), sys.argv[2]
    if out.endswith(".xlsx"):
        write_xlsx(n, out)
    else:
        write_csv(n, out)


if __name__ == "__main__":
    main()
