// While an FFT upload is read, shows how far it has got (from the staff API) and opens the result
// when it ends. Without it the page has a link to check again.
const region = document.querySelector("[data-fft-upload-status]");
const RUNNING = new Set(["queued", "checking", "saving"]);
const EVERY_MS = 2000;

async function update() {
  try {
    const response = await fetch(region.dataset.fftUploadStatus, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    if (response.ok) {
      const upload = await response.json();
      if (!RUNNING.has(upload.status)) {
        window.location.reload();
        return;
      }
      region.querySelector("[data-progress-text]").textContent = upload.progress;
    }
  } catch {
    // The network blinked: the next try will tell.
  }
  window.setTimeout(update, EVERY_MS);
}

if (region) {
  window.setTimeout(update, EVERY_MS);
}
