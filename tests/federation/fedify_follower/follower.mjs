// A follower on an ActivityPub server that is not Pnyx: one actor served by Fedify
// (https://fedify.dev), an independent TypeScript framework, on a loopback port. Driven by
// tests/federation/test_move_round_trip.py.
//
// Fedify does all the ActivityPub work: it serves the actor (with its RSA key and its Ed25519
// Multikey), WebFinger and the inboxes; it checks the HTTP signatures and the Object Integrity
// Proofs of what arrives, parses the activities, fetches actors, and signs what it sends.
// This file is only the follower's behaviour, as Mastodon's:
//
// - POST /control/follow {"uri": actor} follows that actor (a Follow, signed by Fedify);
// - an Accept marks the follow accepted;
// - a Move whose actor is the account it names, from an account followed here, is taken only
//   when the target (fetched by Fedify) names the old account in its alsoKnownAs: then the
//   target is followed and the old account gets an Undo(Follow), as Mastodon's
//   MoveWorker does; a Move that fails the check is recorded with the reason, nothing else;
// - GET /control/state tells the test what happened: follows, moves, errors.
//
// Environment: FEDIFY_HOME, the folder npm installed @fedify/fedify and
// @digitalbazaar/data-integrity-context into (tests/federation/fedify.py); FOLLOWER_NAME, the
// actor's name (default "ffollower"); FEDIFY_LOG_LEVEL, what Fedify logs to stderr ("debug"
// to follow every check it makes; default "warning"). It listens on 127.0.0.1 on a free port and writes
// {"port": N} as its first line on stdout once it is ready.

import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import http from "node:http";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const modules = join(process.env.FEDIFY_HOME, "node_modules");
const load = (path) => import(pathToFileURL(join(modules, path)).href);
const fedify = await load("@fedify/fedify/esm/mod.js");
const logtape = await load("@logtape/logtape/esm/mod.js");
const {
  Accept,
  Activity,
  Endpoints,
  Follow,
  Move,
  Person,
  Reject,
  Undo,
  createFederation,
  generateCryptoKeyPair,
  getDocumentLoader,
  isActor,
  MemoryKvStore,
} = fedify;

const NAME = process.env.FOLLOWER_NAME || "ffollower";

// Fedify's log goes to stderr, which the test keeps as this server's log (stdout is the
// test's: it reads the port there).
await logtape.configure({
  sinks: { stderr: (record) => process.stderr.write(logtape.defaultTextFormatter(record)) },
  loggers: [
    { category: ["fedify"], sinks: ["stderr"], lowestLevel: process.env.FEDIFY_LOG_LEVEL || "warning" },
    { category: ["logtape", "meta"], sinks: ["stderr"], lowestLevel: "error" },
  ],
});

// Pnyx's documents name the data-integrity v2 context, which Fedify 1.5 does not preload; it
// comes from the npm package of its editors (Digital Bazaar), never from the network.
const localContexts = {
  "https://w3id.org/security/data-integrity/v2": JSON.parse(
    readFileSync(
      join(modules, "@digitalbazaar/data-integrity-context/contexts/data-integrity-v2.jsonld"),
      "utf8",
    ),
  ),
};
function loaderFactory(options) {
  const fetching = getDocumentLoader({ ...options, allowPrivateAddress: true });
  return async (url) => {
    if (url in localContexts) {
      return { contextUrl: null, documentUrl: url, document: localContexts[url] };
    }
    return await fetching(url);
  };
}

const keyPairs = [
  await generateCryptoKeyPair("RSASSA-PKCS1-v1_5"),
  await generateCryptoKeyPair("Ed25519"),
];

// What the test reads back (GET /control/state).
const state = { actor: null, following: {}, moves: [], errors: [] };

const federation = createFederation({
  kv: new MemoryKvStore(),
  allowPrivateAddress: true, // the Pnyx servers are on loopback
  documentLoaderFactory: loaderFactory,
  contextLoaderFactory: loaderFactory,
});

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== NAME) return null;
    const keys = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: "A follower on Fedify",
      url: ctx.getActorUri(identifier),
      inbox: ctx.getInboxUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      manuallyApprovesFollowers: false,
      publicKey: keys[0].cryptographicKey,
      assertionMethods: keys.map((key) => key.multikey),
    });
  })
  .setKeyPairsDispatcher(async (_ctx, identifier) => (identifier === NAME ? keyPairs : []));

const me = (ctx) => ctx.getActorUri(NAME);

async function follow(ctx, actor) {
  const id = new URL(`${me(ctx).href}#follows/${randomUUID()}`);
  state.following[actor.id.href] = { follow: id.href, accepted: false, undone: false };
  await ctx.sendActivity(
    { identifier: NAME },
    actor,
    new Follow({ id, actor: me(ctx), object: actor.id }),
  );
}

async function unfollow(ctx, actor) {
  const known = state.following[actor.id.href];
  if (known == null) return;
  await ctx.sendActivity(
    { identifier: NAME },
    actor,
    new Undo({
      id: new URL(`${me(ctx).href}#undos/${randomUUID()}`),
      actor: me(ctx),
      object: new Follow({ id: new URL(known.follow), actor: me(ctx), object: actor.id }),
    }),
  );
  known.undone = true;
}

async function onMove(ctx, move) {
  const record = { id: move.id?.href, object: move.objectId?.href, target: move.targetId?.href };
  state.moves.push(record);
  const loaders = { documentLoader: ctx.documentLoader, contextLoader: ctx.contextLoader };
  if (record.object == null || record.object !== move.actorId?.href) {
    record.outcome = "refused: the Move's actor is not the account it moves";
    return;
  }
  if (!(record.object in state.following) || state.following[record.object].undone) {
    record.outcome = "ignored: not following the old account";
    return;
  }
  const target = await move.getTarget(loaders); // fetched now by Fedify, as it is
  if (!isActor(target)) {
    record.outcome = "refused: the target is not an actor";
    return;
  }
  const aliases = target.aliasIds.map((uri) => uri.href);
  if (!aliases.includes(record.object)) {
    record.outcome = `refused: the target's alsoKnownAs (${aliases}) does not name the old account`;
    return;
  }
  const old = await move.getObject(loaders);
  await follow(ctx, target);
  if (isActor(old)) await unfollow(ctx, old);
  record.outcome = "followed the target";
}

federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Accept, async (_ctx, accept) => {
    const known = state.following[accept.actorId?.href];
    if (known != null) known.accepted = true;
  })
  .on(Reject, async (_ctx, reject) => {
    const known = state.following[reject.actorId?.href];
    if (known != null) known.rejected = true;
  })
  .on(Move, onMove)
  .on(Activity, async () => {}) // the posts and profile updates a follower gets: not ours
  .onError(async (_ctx, error) => {
    state.errors.push(String(error?.stack ?? error));
  });

// ---------------------------------------------------------------------------- the test's side

let origin = "";

function json(body, status = 200) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

async function control(request, url) {
  const ctx = federation.createContext(new URL(origin), undefined);
  if (url.pathname === "/control/state" && request.method === "GET") {
    return json({ ...state, actor: me(ctx).href });
  }
  if (url.pathname === "/control/follow" && request.method === "POST") {
    const { uri } = await request.json();
    const actor = await ctx.lookupObject(uri);
    if (!isActor(actor)) return json({ error: `${uri} is not an actor` }, 422);
    await follow(ctx, actor);
    return json({ follow: state.following[actor.id.href].follow });
  }
  return json({ error: "not found" }, 404);
}

// Node's HTTP server speaks to Fedify through the Fetch API's Request and Response.
async function handle(req, res) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
  }
  const url = new URL(req.url, origin);
  const request = new Request(url, {
    method: req.method,
    headers,
    body: req.method === "GET" || req.method === "HEAD" ? undefined : Buffer.concat(chunks),
  });
  let response;
  try {
    response = url.pathname.startsWith("/control/")
      ? await control(request, url)
      : await federation.fetch(request, { contextData: undefined });
  } catch (error) {
    state.errors.push(String(error?.stack ?? error));
    response = json({ error: String(error) }, 500);
  }
  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.end(Buffer.from(await response.arrayBuffer()));
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((error) => {
    state.errors.push(String(error?.stack ?? error));
    res.writeHead(500);
    res.end();
  });
});
server.listen(0, "127.0.0.1", () => {
  const { port } = server.address();
  origin = `http://127.0.0.1:${port}`;
  process.stdout.write(JSON.stringify({ port }) + "\n");
});
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => server.close(() => process.exit(0)));
