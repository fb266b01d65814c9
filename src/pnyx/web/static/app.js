// Pnyx: small progressive enhancements. Every page works without this file.
"use strict";
document.documentElement.classList.add("js");
