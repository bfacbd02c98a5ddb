"""Placeholder: filled in by the wire's implementation."""

from fastapi import APIRouter

router = APIRouter()
