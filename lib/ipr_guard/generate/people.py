"""Personal data that looks real: names, phones, e-mails, identity documents, bank accounts, account ids.

Every value is unique per person; only the re-registered stores reuse values on purpose (see stores.py).
Phones, e-mails and documents use test-looking ranges and example domains, never real people.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ipr_guard.generate.vocab import CITIES, COMPANY_TRADES, COMPANY_WORDS, EMAIL_DOMAINS, GIVEN, SURNAMES

MOBILE_PREFIXES = tuple(str(p) for p in (*range(130, 140), *range(150, 160), *range(180, 190), 166, 177, 199))
BANK_BINS = ("6222", "6217", "6228", "6212", "6214", "6225", "6226")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def distinct_ints(rng: np.random.Generator, n: int, lo: int, hi: int) -> np.ndarray:
    """`n` distinct random integers in [lo, hi), in random order."""
    got = np.empty(0, dtype=np.int64)
    while len(got) < n:
        draw = np.concatenate([got, rng.integers(lo, hi, size=int((n - len(got)) * 1.2) + 8)])
        _, first = np.unique(draw, return_index=True)
        got = draw[np.sort(first)]
    return got[:n]


def account_numbers(index: np.ndarray, digits: int = 9, salt: int = 0) -> np.ndarray:
    """Distinct, random-looking account numbers of `digits` digits, one per account index.

    An affine map modulo the number space is a permutation, so distinct indices never collide and no
    uniqueness check over millions of buyers is needed.
    """
    lo, space = 10 ** (digits - 1), 9 * 10 ** (digits - 1)
    multiplier = 982_451_653  # prime, so coprime with the 2^a 3^b 5^c number space
    return lo + (np.asarray(index, dtype=np.int64) * multiplier + 7_777_777 * (salt + 1)) % space


def _first_distinct(make, n: int) -> list:
    """The first `n` distinct values of batches drawn by `make(k)` (a list of k candidates)."""
    out, seen = [], set()
    while len(out) < n:
        for value in make(2 * (n - len(out)) + 16):
            key = value[0] if isinstance(value, tuple) else value
            if key not in seen:
                seen.add(key)
                out.append(value)
                if len(out) == n:
                    break
    return out


def person_names(rng: np.random.Generator, n: int) -> tuple[list[str], list[str]]:
    """Distinct Chinese personal names and their pinyin (for e-mail addresses)."""
    def make(k: int) -> list[tuple[str, str]]:
        surname = rng.integers(len(SURNAMES), size=k)
        length = rng.choice(3, size=k, p=[0.3, 0.68, 0.02]) + 1
        given = rng.integers(len(GIVEN), size=(k, 3))
        return [(SURNAMES[s][0] + "".join(GIVEN[g][0] for g in given[i, :length[i]]),
                 SURNAMES[s][1] + "".join(GIVEN[g][1] for g in given[i, :length[i]]))
                for i, s in enumerate(surname)]
    pairs = _first_distinct(make, n)
    return [p[0] for p in pairs], [p[1] for p in pairs]


def company_names(rng: np.random.Generator, n: int) -> tuple[list[str], list[str]]:
    """Distinct company names ("深圳市恒盛贸易有限公司") and the region codes of their cities."""
    def make(k: int) -> list[tuple[str, str]]:
        city = rng.integers(len(CITIES), size=k)
        words = rng.integers(len(COMPANY_WORDS), size=(k, 2))
        two = rng.random(k) < 0.5
        trade = rng.integers(len(COMPANY_TRADES), size=k)
        return [(f"{CITIES[c][0]}{COMPANY_WORDS[w[0]]}{COMPANY_WORDS[w[1]] if t and w[1] != w[0] else ''}"
                 f"{COMPANY_TRADES[d]}有限公司", CITIES[c][1]) for c, w, t, d in zip(city, words, two, trade)]
    pairs = _first_distinct(make, n)
    return [p[0] for p in pairs], [p[1] for p in pairs]


def phones(rng: np.random.Generator, n: int) -> list[str]:
    numbers = distinct_ints(rng, n, 0, len(MOBILE_PREFIXES) * 10 ** 8)
    return [f"+86 {MOBILE_PREFIXES[k // 10 ** 8]}{k % 10 ** 8:08d}" for k in numbers]


def bank_accounts(rng: np.random.Generator, n: int) -> list[str]:
    numbers = distinct_ints(rng, n, 0, len(BANK_BINS) * 10 ** 15)
    return [f"{BANK_BINS[k // 10 ** 15]}{k % 10 ** 15:015d}" for k in numbers]


def resident_ids(rng: np.random.Generator, n: int) -> list[str]:
    """18-digit resident identity numbers with a valid ISO 7064 MOD 11-2 check digit."""
    def make(k: int) -> list[str]:
        region = rng.integers(len(CITIES), size=k)
        days = rng.integers(0, 40 * 365, size=k).astype("timedelta64[D]")
        birth = np.datetime_as_string(np.datetime64("1962-01-01") + days)
        sequence = rng.integers(0, 1000, size=k)
        return [f"{CITIES[r][1]}{b.replace('-', '')}{q:03d}" for r, b, q in zip(region, birth, sequence)]
    bodies = _first_distinct(make, n)
    return [b + ID_CHECK[sum(int(c) * w for c, w in zip(b, ID_WEIGHTS)) % 11] for b in bodies]


def credit_codes(rng: np.random.Generator, regions: list[str]) -> list[str]:
    """18-character unified social credit codes of companies, with their check character."""
    def make(k: int) -> list[str]:
        chars = rng.integers(0, len(CREDIT_CHARS), size=(k, 10))
        return ["".join(CREDIT_CHARS[c] for c in row) for row in chars]
    tails = _first_distinct(make, len(regions))
    out = []
    for region, tail in zip(regions, tails):
        body = "91" + region + tail
        total = sum(CREDIT_CHARS.index(c) * w for c, w in zip(body, CREDIT_WEIGHTS))
        out.append(body + CREDIT_CHARS[(31 - total % 31) % 31])
    return out


def merchant_identities(rng: np.random.Generator, enterprise: np.ndarray, country: np.ndarray) -> pd.DataFrame:
    """The personal data of each store's operator: legal name, e-mail, phone, document, bank account.

    Individuals in China carry a resident identity number, companies a credit code, operators abroad
    a passport-style number.
    """
    n = len(enterprise)
    persons, pinyin = person_names(rng, n)
    companies, regions = company_names(rng, n)
    residents = resident_ids(rng, n)
    credits = credit_codes(rng, regions)
    passports = [f"{chr(65 + int(k) // 10 ** 8)}{int(k) % 10 ** 8:08d}" for k in distinct_ints(rng, n, 0, 26 * 10 ** 8)]
    mail_numbers = distinct_ints(rng, n, 10, 10 + max(9_990, 20 * n))
    legal, email, document = [], [], []
    for i in range(n):
        legal.append(companies[i] if enterprise[i] else persons[i])
        domain = EMAIL_DOMAINS[rng.integers(len(EMAIL_DOMAINS))]
        email.append(f"{pinyin[i]}{mail_numbers[i]}@{domain}")
        if country[i] != "CN":
            document.append(passports[i])
        else:
            document.append(credits[i] if enterprise[i] else residents[i])
    return pd.DataFrame({"legal_name": legal, "contact_email": email, "contact_phone": phones(rng, n),
                         "id_document_number": document, "bank_account": bank_accounts(rng, n)})
