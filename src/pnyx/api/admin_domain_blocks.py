"""Mastodon's admin API for domain blocks (`/api/v1/admin/domain_blocks`): list, show,
create, change, remove. Admins only (Mastodon's `manage_federation`); the rule and what a
block does to federation are `core.domain_blocks`', the permission and the moderation log
entry `core.moderation`'s. Also the public list, `/api/v1/instance/domain_blocks`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from pnyx.api.admin_accounts import staff
from pnyx.api.http import JSON, Params, database, path_id, read_params, unprocessable
from pnyx.api.pagination import page_from, paginated
from pnyx.core import domain_blocks, moderation
from pnyx.presenters import admin as presenters

READ = "admin:read:domain_blocks"
WRITE = "admin:write:domain_blocks"


def _input(params: Params) -> domain_blocks.BlockInput:
    return domain_blocks.BlockInput(
        severity=params.str("severity", max_len=16),
        reject_media=params.bool("reject_media"),
        reject_reports=params.bool("reject_reports"),
        private_comment=params.str("private_comment", max_len=domain_blocks.MAX_COMMENT + 1),
        public_comment=params.str("public_comment", max_len=domain_blocks.MAX_COMMENT + 1),
        obfuscate=params.bool("obfuscate"),
    )


async def index(request: Request):
    params = await read_params(request)
    page = page_from(params, default=100, maximum=200)

    def work(tx):
        staff(tx, request, READ, admin=True)
        rows = domain_blocks.listing(tx, before_id=page.max_id, limit=page.limit)
        return [presenters.domain_block(r) for r in rows], [r.id for r in rows]

    items, ids = await database(request).read(work)
    return paginated(request, items, ids)


async def show(request: Request):
    block_id = path_id(request)

    def work(tx):
        staff(tx, request, READ, admin=True)
        return presenters.domain_block(domain_blocks.get(tx, block_id))

    return JSON(await database(request).read(work))


async def create(request: Request):
    params = await read_params(request)
    domain = params.str("domain", max_len=255)
    if not domain:
        raise unprocessable("Validation failed: Domain can't be blank")
    data = _input(params)

    def work(tx):
        by = staff(tx, request, WRITE, admin=True)
        block_id = moderation.block_domain(tx, by, domain, data)
        return presenters.domain_block(domain_blocks.get(tx, block_id))

    return JSON(await database(request).write(work))


async def update(request: Request):
    block_id = path_id(request)
    data = _input(await read_params(request))

    def work(tx):
        by = staff(tx, request, WRITE, admin=True)
        moderation.change_domain_block(tx, by, block_id, data)
        return presenters.domain_block(domain_blocks.get(tx, block_id))

    return JSON(await database(request).write(work))


async def delete(request: Request):
    block_id = path_id(request)

    def work(tx):
        by = staff(tx, request, WRITE, admin=True)
        moderation.unblock_domain(tx, by, block_id)
        return {}

    return JSON(await database(request).write(work))


async def public_list(request: Request):
    """GET /api/v1/instance/domain_blocks: the servers this one limits or suspends, with the
    public comment (open to anyone, as Mastodon's default `show_domain_blocks`)."""

    def work(tx):
        return [presenters.public_domain_block(r) for r in domain_blocks.public_list(tx)]

    return JSON(await database(request).read(work))


_BLOCK = "/api/v1/admin/domain_blocks/{id:int}"
routes = [
    Route("/api/v1/admin/domain_blocks", index, methods=["GET"]),
    Route("/api/v1/admin/domain_blocks", create, methods=["POST"]),
    Route(_BLOCK, show, methods=["GET"]),
    Route(_BLOCK, update, methods=["PUT"]),
    Route(_BLOCK, delete, methods=["DELETE"]),
    Route("/api/v1/instance/domain_blocks", public_list, methods=["GET"]),
]
