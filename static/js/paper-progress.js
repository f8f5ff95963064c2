// While an upload of scanned forms is read, reloads its page every few seconds so the pages
// appear as they are read. Without it the page has a link to check again.
const region = document.querySelector("[data-paper-running]");
if (region) {
  window.setTimeout(() => window.location.reload(), 3000);
}
