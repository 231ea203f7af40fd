"""JSON API (being written)."""

from fastapi import APIRouter

router = APIRouter(tags=["cases"])
