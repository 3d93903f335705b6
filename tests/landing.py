"""Builds small landing folders by hand for tests."""
from __future__ import annotations

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
