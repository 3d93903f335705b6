"""Builds small landing folders by hand for tests."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path


def write_day(landing: Path, table: str, day: str, rows: list, name: str = "part-00000.jsonl") -> Path:
    """Writes rows (dicts become JSON, strings are written as they are) as one JSON Lines file."""
    folder = landing / table / f"ingest_date={day}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    text = "\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows) + "\n"
    path.write_text(text, encoding="utf-8")
    return path


def order(order_id: str, created: str, status: str = "paid", updated: str | None = None, listing: str = "L1",
          merchant: str = "M1", buyer: str = "buyer-0001", amount: float = 10.0) -> dict:
    return {"order_id": order_id, "listing_id": listing, "merchant_id": merchant, "buyer_id": buyer,
            "quantity": 1, "amount": amount, "created_at": created, "status": status,
            "updated_at": updated or created}


def listing(listing_id: str, created: str, merchant: str = "M1", price: float = 100.0, brand: str | None = "BR1",
            title: str = "Genuine sneakers", updated: str | None = None) -> dict:
    return {"listing_id": listing_id, "merchant_id": merchant, "title": title, "description": "", "brand_id": brand,
            "category": "shoes", "price": price, "currency": "CNY", "quantity": 5, "image_hash": "0f0f0f0f0f0f0f0f",
            "ships_from": "CN", "created_at": created, "updated_at": updated or created, "status": "active"}


def merchant(merchant_id: str, updated: str = "2026-10-01T08:00:00+08:00", status: str = "active",
             phone: str = "+86 13800000000", bank: str = "6222000000000000") -> dict:
    return {"merchant_id": merchant_id, "store_name": f"店铺 {merchant_id}", "legal_name": f"Person {merchant_id}",
            "contact_email": f"{merchant_id.lower()}@example.cn", "contact_phone": phone,
            "id_document_number": f"ID-{merchant_id}-998877", "bank_account": bank,
            "registered_at": "2026-01-01T00:00:00+08:00", "country": "CN", "business_type": "individual",
            "verification_level": 1, "deposit_amount": 1000, "status": status, "updated_at": updated}


# The tiny marketplace of build_landing: its two delivery days.
D1, D2 = dt.date(2026, 10, 1), dt.date(2026, 10, 2)


def build_landing(landing: Path) -> None:
    """Two days of a tiny marketplace; M2 sells fakes, M3 shares M9's bank account, M9 was closed."""
    write_day(landing, "merchants", "2026-10-01", [
        merchant("M1"), merchant("M2", phone="+86 13911111111", bank="6222111"),
        merchant("M3", phone="+86 13922222222", bank="6222999"),
        merchant("M9", phone="+86 13999999999", bank="6222999", status="closed"),
    ])
    write_day(landing, "brands", "2026-10-01", [{
        "brand_id": "BR1", "brand_name": "Nike", "rights_holder": "Nike Inc.", "category": "shoes",
        "reference_price": 1000, "aliases": ["耐克"], "updated_at": "2026-09-01T00:00:00Z"}])
    write_day(landing, "listings", "2026-10-01", [
        listing("L1", "2026-10-01T09:00:00+08:00"),
        listing("L2", "2026-10-01T09:00:00+08:00", merchant="M2", price=99, title="Nike 高仿 1:1 sneakers"),
    ])
    write_day(landing, "listings", "2026-10-02", [
        listing("L3", "2026-10-02T09:00:00+08:00", merchant="M2", price=80, title="replica Nike"),
        listing("L4", "2026-10-02T10:00:00+08:00"),
    ])
    write_day(landing, "orders", "2026-10-01", [order("O1", "2026-10-01T10:00:00+08:00", listing="L1")])
    write_day(landing, "orders", "2026-10-02", [
        order("O2", "2026-10-02T10:00:00+08:00", listing="L2", merchant="M2", buyer="buyer-0002"),
        order("O3", "2026-10-02T11:00:00+08:00", listing="L4", status="cancelled", buyer="buyer-0003"),
    ])
    write_day(landing, "takedowns", "2026-10-02", [
        {"takedown_id": "T1", "listing_id": "L2", "merchant_id": "M2", "origin": "proactive", "complaint_id": None,
         "reason": "counterfeit", "taken_down_at": "2026-10-02T09:00:00+08:00"},   # before O2: before first sale
        {"takedown_id": "T2", "listing_id": "L1", "merchant_id": "M1", "origin": "proactive", "complaint_id": None,
         "reason": "counterfeit", "taken_down_at": "2026-10-02T12:00:00+08:00"},   # after O1: not
    ])
    write_day(landing, "complaints", "2026-10-02", [
        {"complaint_id": "C1", "source": "rights_holder", "complaint_type": "counterfeit", "brand_id": "BR1",
         "listing_id": "L2", "merchant_id": "M2", "reporter_id": "reporter-77",
         "submitted_at": "2026-10-01T09:00:00+08:00", "processed_at": "2026-10-02T09:00:00+08:00",
         "outcome": "upheld", "updated_at": "2026-10-02T09:00:00+08:00"}])
    write_day(landing, "test_buys", "2026-10-02", [
        {"test_buy_id": "TB1", "listing_id": "L2", "merchant_id": "M2", "brand_id": "BR1",
         "purchased_at": "2026-09-20T10:00:00+08:00", "verdict": "counterfeit",
         "verdict_at": "2026-10-02T08:00:00+08:00"}])
    write_day(landing, "enforcement_actions", "2026-10-01", [
        {"action_id": "A1", "merchant_id": "M9", "action": "closure", "reason": "counterfeit",
         "decided_at": "2026-10-01T10:00:00+08:00", "reversed": False, "updated_at": "2026-10-01T10:00:00+08:00"}])
