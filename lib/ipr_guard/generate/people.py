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
ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
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


def person_names(rng: np.random.Generator, n: int) -> tuple[list[str], list[str]]:
    """Distinct Chinese personal names and their pinyin (for e-mail addresses)."""
    names, pinyin, seen = [], [], set()
    while len(names) < n:
        s = rng.integers(len(SURNAMES))
        given = rng.integers(len(GIVEN), size=rng.integers(1, 4))
        zh = SURNAMES[s][0] + "".join(GIVEN[g][0] for g in given)
        if zh in seen:
            continue
        seen.add(zh)
        names.append(zh)
        pinyin.append(SURNAMES[s][1] + "".join(GIVEN[g][1] for g in given))
    return names, pinyin


def company_names(rng: np.random.Generator, n: int) -> tuple[list[str], list[str]]:
    """Distinct company names ("深圳市恒盛贸易有限公司") and the region codes of their cities."""
    names, regions, seen = [], [], set()
    while len(names) < n:
        city, region = CITIES[rng.integers(len(CITIES))]
        words = "".join(COMPANY_WORDS[w] for w in rng.choice(len(COMPANY_WORDS), size=rng.integers(1, 3), replace=False))
        name = f"{city}{words}{COMPANY_TRADES[rng.integers(len(COMPANY_TRADES))]}有限公司"
        if name in seen:
            continue
        seen.add(name)
        names.append(name)
        regions.append(region)
    return names, regions


def phones(rng: np.random.Generator, n: int) -> list[str]:
    numbers = distinct_ints(rng, n, 0, len(MOBILE_PREFIXES) * 10 ** 8)
    return [f"+86 {MOBILE_PREFIXES[k // 10 ** 8]}{k % 10 ** 8:08d}" for k in numbers]


def bank_accounts(rng: np.random.Generator, n: int) -> list[str]:
    numbers = distinct_ints(rng, n, 0, len(BANK_BINS) * 10 ** 15)
    return [f"{BANK_BINS[k // 10 ** 15]}{k % 10 ** 15:015d}" for k in numbers]


def resident_ids(rng: np.random.Generator, n: int) -> list[str]:
    """18-digit resident identity numbers with a valid ISO 7064 MOD 11-2 check digit."""
    out, seen = [], set()
    while len(out) < n:
        region = CITIES[rng.integers(len(CITIES))][1]
        birth = np.datetime64("1962-01-01") + np.timedelta64(int(rng.integers(0, 40 * 365)), "D")
        body = f"{region}{str(birth).replace('-', '')}{rng.integers(0, 1000):03d}"
        if body in seen:
            continue
        seen.add(body)
        total = int(np.dot(ID_WEIGHTS, [int(c) for c in body]))
        out.append(body + ID_CHECK[total % 11])
    return out


def credit_codes(rng: np.random.Generator, regions: list[str]) -> list[str]:
    """18-character unified social credit codes of companies, with their check character."""
    out, seen = [], set()
    for region in regions:
        while True:
            body = "91" + region + "".join(CREDIT_CHARS[c] for c in rng.integers(0, len(CREDIT_CHARS), size=10))
            if body not in seen:
                break
        seen.add(body)
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
    passports = [f"{chr(65 + int(k) // 10 ** 8 % 26)}{int(k) % 10 ** 8:08d}" for k in distinct_ints(rng, n, 0, 26 * 10 ** 8)]
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
