// Starts the NHS design system's components (character count, error summary focus, header,
// skip link...). Pages work without it: each component only enhances server-rendered HTML.
import { initAll } from "../vendor/nhsuk-frontend/nhsuk-frontend.min.js";

initAll();

// A radio's conditional questions, shown while it is chosen. The design system's radios module
// marks each radio aria-expanded, which ARIA does not allow on a radio (axe: critical), so these
// groups (data-app-radios) are revealed here with aria-controls only, as GOV.UK Frontend does.
// Without JavaScript the questions are always shown.
for (const group of document.querySelectorAll("[data-app-radios]")) {
  const radios = [...group.querySelectorAll('input[type="radio"]')];
  const sync = () => {
    for (const radio of radios) {
      const target = radio.dataset.reveal && document.getElementById(radio.dataset.reveal);
      if (target) target.classList.toggle("nhsuk-radios__conditional--hidden", !radio.checked);
    }
  };
  for (const radio of radios) {
    if (radio.dataset.reveal) radio.setAttribute("aria-controls", radio.dataset.reveal);
    radio.addEventListener("change", sync);
  }
  sync();
}
