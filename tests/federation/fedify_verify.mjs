// Verifies Object Integrity Proofs (FEP-8b32) with Fedify, an implementation independent of
// Pnyx: its `verifyObject` fetches the key each proof names (over loopback here), checks the
// eddsa-jcs-2022 signature, and requires the key's controller to be the object's actor or
// author. Driven by tests/federation/test_object_proofs_fedify.py.
//
// Input (stdin): a JSON list of {"name", "url"} (fetched as ActivityPub) or {"name",
// "document"} (checked as given). Output (stdout): one JSON line per item: {"name",
// "verified", "proofs", "keys", "reason"}. FEDIFY_HOME is the folder npm installed
// @fedify/fedify and @digitalbazaar/data-integrity-context into.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const home = process.env.FEDIFY_HOME;
const modules = join(home, "node_modules");
const load = (path) => import(pathToFileURL(join(modules, path)).href);
const { getDocumentLoader } = await load("@fedify/fedify/esm/runtime/mod.js");
const { verifyObject } = await load("@fedify/fedify/esm/sig/mod.js");
const vocab = await load("@fedify/fedify/esm/vocab/mod.js");

// Fedify 1.5 preloads the data-integrity v1 context, not v2; this one comes from the npm
// package of its editors (Digital Bazaar), never from the network.
const localContexts = {
  "https://w3id.org/security/data-integrity/v2": JSON.parse(
    readFileSync(
      join(modules, "@digitalbazaar/data-integrity-context/contexts/data-integrity-v2.jsonld"),
      "utf8",
    ),
  ),
};
const fetching = getDocumentLoader({ allowPrivateAddress: true }); // the servers are on loopback
async function documentLoader(url) {
  if (url in localContexts) {
    return { contextUrl: null, documentUrl: url, document: localContexts[url] };
  }
  return await fetching(url);
}
const options = { documentLoader, contextLoader: documentLoader };

async function check(item) {
  const result = { name: item.name, verified: false, proofs: 0, keys: [], reason: "" };
  try {
    const json = item.document ?? (await documentLoader(item.url)).document;
    const object = await verifyObject(vocab.Object, json, options);
    if (object == null) {
      result.reason = "verifyObject: a proof failed, or an author/actor has no proof";
      return result;
    }
    for await (const proof of object.getProofs(options)) {
      result.proofs += 1;
      result.keys.push(proof.verificationMethodId?.href ?? null);
    }
    // verifyObject accepts an object with no proof and no author (an actor): not here.
    result.verified = result.proofs > 0;
    if (!result.verified) result.reason = "no proof";
  } catch (error) {
    result.reason = String(error);
  }
  return result;
}

const items = JSON.parse(readFileSync(0, "utf8"));
for (const item of items) {
  process.stdout.write(JSON.stringify(await check(item)) + "\n");
}
