"""Writes the JPEG fixtures of TestImageCostBoundsAllocations: the kinds Go's
encoder cannot write (progressive, CMYK, RGB without YCbCr), each a dark
square on white, 600×400 pixels so that preprocessing shrinks it.

Made once with Pillow 13 (pip install pillow), from this directory:

    python3 make_jpegs.py
"""

from PIL import Image, ImageDraw


def garment(mode):
    img = Image.new("RGB", (600, 400), "white")
    ImageDraw.Draw(img).rectangle((200, 80, 420, 330), fill=(32, 48, 96))
    return img.convert(mode)


garment("RGB").save("square-600x400-progressive-420.jpg", progressive=True, subsampling="4:2:0")
garment("RGB").save("square-600x400-progressive-444.jpg", progressive=True, subsampling="4:4:4")
garment("L").save("square-600x400-progressive-grey.jpg", progressive=True)
garment("CMYK").save("square-600x400-cmyk.jpg")
garment("CMYK").save("square-600x400-progressive-cmyk.jpg", progressive=True)
garment("RGB").save("square-600x400-rgb.jpg", keep_rgb=True, subsampling="4:4:4")
