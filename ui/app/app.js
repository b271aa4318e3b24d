// Minimal start page: finds the API through /ui-settings and shows version and health.
async function main() {
  const settings = await (await fetch("/ui-settings")).json();
  const api = settings.api_url.replace(/\/$/, "");
  const [version, health] = await Promise.all([
    fetch(`${api}/admin/version`).then((r) => r.json()),
    fetch(`${api}/health`).then((r) => r.json()),
  ]);
  document.getElementById("version").textContent = version;
  document.getElementById("health").textContent = health ? "ok" : "failing";
}

main().catch((error) => {
  document.getElementById("health").textContent = `unreachable (${error})`;
});
