#!/usr/bin/env python3
"""Draws the example flow's images with the standard library only (no image packages).

    python3 flows/media/make_images.py

writes, next to this script:
- size-chart.png   the size chart the `sizing` node of flows/support.toml attaches (dm_image)
- avatar-bot.png   the avatar of the bot's custom profile
- avatar-agent.png the avatar of the support team's custom profile

The output is deterministic, so re-running it does not change the files (nor the flow's
content hash).
"""

import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))

# A 5x7 bitmap font, just the characters the size chart needs.
FONT = {
    "S": ["01111", "10000", "10000", "01110", "00001", "00001", "11110"],
    "I": ["11111", "00100", "00100", "00100", "00100", "00100", "11111"],
    "Z": ["11111", "00001", "00010", "00100", "01000", "10000", "11111"],
    "E": ["11111", "10000", "10000", "11110", "10000", "10000", "11111"],
    "C": ["01111", "10000", "10000", "10000", "10000", "10000", "01111"],
    "H": ["10001", "10001", "10001", "11111", "10001", "10001", "10001"],
    "A": ["01110", "10001", "10001", "11111", "10001", "10001", "10001"],
    "R": ["11110", "10001", "10001", "11110", "10100", "10010", "10001"],
    "T": ["11111", "00100", "00100", "00100", "00100", "00100", "00100"],
    "M": ["10001", "11011", "10101", "10101", "10001", "10001", "10001"],
    "L": ["10000", "10000", "10000", "10000", "10000", "10000", "11111"],
    "X": ["10001", "10001", "01010", "00100", "01010", "10001", "10001"],
    "W": ["10001", "10001", "10001", "10101", "10101", "11011", "10001"],
    "P": ["11110", "10001", "10001", "11110", "10000", "10000", "10000"],
    "(": ["00010", "00100", "01000", "01000", "01000", "00100", "00010"],
    ")": ["01000", "00100", "00010", "00010", "00010", "00100", "01000"],
    "0": ["01110", "10001", "10011", "10101", "11001", "10001", "01110"],
    "1": ["00100", "01100", "00100", "00100", "00100", "00100", "01110"],
    "2": ["01110", "10001", "00001", "00010", "00100", "01000", "11111"],
    "4": ["00010", "00110", "01010", "10010", "11111", "00010", "00010"],
    "6": ["00110", "01000", "10000", "11110", "10001", "10001", "01110"],
    "7": ["11111", "00001", "00010", "00100", "01000", "01000", "01000"],
    "8": ["01110", "10001", "10001", "01110", "10001", "10001", "01110"],
    "9": ["01110", "10001", "10001", "01111", "00001", "00010", "01100"],
    " ": ["00000"] * 7,
}

BRAND = (22, 92, 74)  # forest green
BRAND_LIGHT = (226, 240, 233)
WHITE = (255, 255, 255)
INK = (33, 37, 41)
ORANGE = (242, 140, 40)


class Canvas:
    def __init__(self, w, h, color):
        self.w, self.h = w, h
        self.px = [[color] * w for _ in range(h)]

    def rect(self, x0, y0, x1, y1, color):
        for y in range(max(0, y0), min(self.h, y1)):
            row = self.px[y]
            for x in range(max(0, x0), min(self.w, x1)):
                row[x] = color

    def circle(self, cx, cy, r, color):
        for y in range(max(0, cy - r), min(self.h, cy + r + 1)):
            for x in range(max(0, cx - r), min(self.w, cx + r + 1)):
                if (x - cx) ** 2 + (y - cy) ** 2 <= r * r:
                    self.px[y][x] = color

    def text(self, x, y, s, color, scale=2):
        for ch in s:
            glyph = FONT[ch]
            for gy, line in enumerate(glyph):
                for gx, bit in enumerate(line):
                    if bit == "1":
                        self.rect(
                            x + gx * scale,
                            y + gy * scale,
                            x + (gx + 1) * scale,
                            y + (gy + 1) * scale,
                            color,
                        )
            x += 6 * scale

    def png(self, path):
        raw = b"".join(b"\x00" + bytes(c for p in row for c in p) for row in self.px)

        def chunk(kind, data):
            body = kind + data
            return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

        header = struct.pack(">IIBBBBB", self.w, self.h, 8, 2, 0, 0, 0)
        data = (
            b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b"")
        )
        with open(path, "wb") as f:
            f.write(data)
        print(f"{path}: {len(data)} bytes")


def size_chart():
    c = Canvas(480, 270, WHITE)
    c.rect(0, 0, 480, 50, BRAND)
    c.text(20, 11, "SIZE CHART (CM)", WHITE, scale=4)
    rows = [
        ["", "S", "M", "L", "XL"],
        ["CHEST", "88", "96", "104", "112"],
        ["WAIST", "72", "80", "88", "96"],
        ["HIP", "92", "100", "108", "116"],
    ]
    cols = [20, 150, 230, 310, 390]
    for i, row in enumerate(rows):
        y = 60 + i * 50
        if i % 2 == 1:
            c.rect(10, y, 470, y + 50, BRAND_LIGHT)
        for j, cell in enumerate(row):
            color = BRAND if i == 0 or j == 0 else INK
            c.text(cols[j], y + 15, cell, color, scale=3)
    c.rect(10, 260, 470, 264, ORANGE)
    c.png(os.path.join(HERE, "size-chart.png"))


def avatar_bot():
    c = Canvas(200, 200, WHITE)
    c.circle(100, 100, 99, BRAND)
    c.rect(96, 28, 104, 52, WHITE)  # antenna
    c.circle(100, 28, 9, ORANGE)
    c.rect(50, 52, 150, 140, WHITE)  # head
    c.circle(78, 88, 13, BRAND)  # eyes
    c.circle(122, 88, 13, BRAND)
    c.rect(72, 116, 128, 124, BRAND)  # mouth
    c.rect(70, 148, 130, 170, WHITE)  # neck and shoulders
    c.png(os.path.join(HERE, "avatar-bot.png"))


def avatar_agent():
    c = Canvas(200, 200, WHITE)
    c.circle(100, 100, 99, ORANGE)
    c.circle(100, 78, 34, WHITE)  # head
    c.circle(100, 190, 66, WHITE)  # shoulders
    # Keep the avatar round.
    for y in range(200):
        for x in range(200):
            if (x - 100) ** 2 + (y - 100) ** 2 > 99 * 99:
                c.px[y][x] = WHITE
    c.png(os.path.join(HERE, "avatar-agent.png"))


if __name__ == "__main__":
    size_chart()
    avatar_bot()
    avatar_agent()
