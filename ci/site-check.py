"""The static site in a real browser (issue 28): headless Chromium, driven through Debian's
chromedriver by Selenium, loads every page of a site that `tnbench publish` wrote, served over
HTTP on loopback as a static host would serve it. A page fails on a console error (a script's
error, a resource that did not load), an image that did not decode, an embedded SVG figure that
did not load as SVG, or a link or image that the server does not have. Screenshots of the front
page and of the suite page with the most figures are written; the front page's paper-claims table must be on the first
screen, drawn (text pixels in it), with one row per claim.

    python ci/site-check.py SITE SCREENSHOTS_DIR

Prints one line per failure and `site-check: PASSED ...` or `site-check: FAILED ...`; exit 0 / 1.
"""

import functools
import http.server
import pathlib
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request

from PIL import Image
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(site):
    handler = functools.partial(QuietHandler, directory=site)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def browser():
    options = Options()
    for chromium in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if pathlib.Path(chromium).exists():
            options.binary_location = chromium
            break
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1400,1000", "--hide-scrollbars"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


# Every image outside an <object> (an object's fallback image is not loaded when the object is),
# whether it decoded; every <object>, whether its document is an SVG document.
PAGE_STATE = """
return {
  images: [...document.images].filter(i => !i.closest('object'))
           .filter(i => !i.complete || i.naturalWidth === 0).map(i => i.getAttribute('src')),
  objects: [...document.querySelectorAll('object')].filter(o => {
             const d = o.contentDocument;
             return !d || !d.documentElement || d.documentElement.nodeName.toLowerCase() !== 'svg';
           }).map(o => o.getAttribute('data')),
  links: [...document.querySelectorAll('a[href], img[src], object[data], link[href]')]
           .map(e => e.href || e.src || e.data).filter(u => u && u.startsWith(location.origin)),
  figures: document.querySelectorAll('object').length,
};
"""


def wait_loaded(driver):
    WebDriverWait(driver, 30).until(lambda d: d.execute_script("return document.readyState") == "complete")


def check_links(urls, checked, failures, page):
    for url in urls:
        url = urllib.parse.urldefrag(url)[0]
        if url in checked:
            continue
        try:
            with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=10) as response:
                checked[url] = response.status
        except urllib.error.HTTPError as error:
            checked[url] = error.code
        except OSError as error:
            checked[url] = str(error)
        if checked[url] != 200:
            failures.append(f"{page}: {url}: {checked[url]}")


def ink_pixels(path, box):
    """How many pixels inside `box` (left, top, right, bottom) are dark enough to be text."""
    with Image.open(path) as image:
        region = image.convert("L").crop(box)
        return sum(1 for value in region.getdata() if value < 96)


def main():
    site, shots = pathlib.Path(sys.argv[1]).resolve(), pathlib.Path(sys.argv[2])
    shots.mkdir(parents=True, exist_ok=True)
    pages = sorted(str(p.relative_to(site)) for p in site.rglob("*.html"))
    if "index.html" not in pages:
        print(f"site-check: FAILED: no index.html in {site}")
        return 1
    server = serve(str(site))
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    driver = browser()
    failures, checked, figures, per_page = [], {}, 0, {}
    try:
        for page in pages:
            driver.get(base + page)
            wait_loaded(driver)
            for entry in driver.get_log("browser"):
                if entry["level"] in ("SEVERE", "WARNING"):
                    failures.append(f"{page}: console {entry['level'].lower()}: {entry['message']}")
            state = driver.execute_script(PAGE_STATE)
            failures += [f"{page}: image did not load: {src}" for src in state["images"]]
            failures += [f"{page}: figure did not load as SVG: {data}" for data in state["objects"]]
            figures += state["figures"]
            per_page[page] = state["figures"]
            check_links(state["links"], checked, failures, page)

        # The front page as a reader first sees it: the paper-claims table on the first screen.
        driver.get(base + "index.html")
        wait_loaded(driver)
        front = shots / "front-page.png"
        driver.save_screenshot(str(front))
        table = driver.find_element(By.CSS_SELECTOR, "table.claims")
        rows = len(table.find_elements(By.CSS_SELECTOR, "tbody tr"))
        rect = table.rect
        height = driver.execute_script("return window.innerHeight")
        width = driver.execute_script("return window.innerWidth")
        if rows == 0:
            failures.append("index.html: the paper-claims table has no row")
        if not table.is_displayed() or rect["y"] >= height:
            failures.append(f"index.html: the paper-claims table is not on the first screen (top at {rect['y']:.0f} of {height})")
        else:
            box = (int(rect["x"]), int(rect["y"]), int(min(rect["x"] + rect["width"], width)), int(min(rect["y"] + rect["height"], height)))
            if ink_pixels(front, box) < 500:
                failures.append(f"index.html: the screenshot shows no text in the paper-claims table (box {box})")
        # The suite page with the most figures.
        suite_pages = sorted((p for p in pages if p.startswith("suites/")), key=lambda p: -per_page[p])
        if suite_pages:
            driver.get(base + suite_pages[0])
            wait_loaded(driver)
            driver.save_screenshot(str(shots / "suite-page.png"))
    finally:
        driver.quit()
        server.shutdown()

    for failure in failures:
        print(f"site-check: {failure}")
    summary = f"{len(pages)} page(s), {figures} figure(s), {len(checked)} distinct link(s); screenshots in {shots}"
    if failures:
        print(f"site-check: FAILED: {len(failures)} problem(s); {summary}")
        return 1
    print(f"site-check: PASSED: {summary}; the front page's claims table has {rows} row(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
