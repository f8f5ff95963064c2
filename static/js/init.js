// Starts the NHS design system's components (character count, error summary focus, header,
// skip link...). Pages work without it: each component only enhances server-rendered HTML.
import { initAll } from "../vendor/nhsuk-frontend/nhsuk-frontend.min.js";

initAll();
