// Loads Streamlit's scripts for the elements the pages show (the charts', Plotly's; the tables';
// the metrics'…) in the background as soon as any page is open, one after the other, so that the
// first page showing one does not wait for its script. The file names come from the server
// (data.scripts, names Streamlit ships: "PlotlyChart.<hash>.js"); each address is taken beside
// Streamlit's own script, as Streamlit's front end finds it, so the browser loads each once.
export default function (component) {
  const names = component.data && component.data.scripts;
  const own = document.querySelector('script[type="module"][src*="/static/js/index."]');
  if (!Array.isArray(names) || !own) return;
  const wanted = names.filter((name) => typeof name === "string" && /^[A-Z]\w*\.[\w-]+\.js$/.test(name));
  const load = async () => {
    for (const name of wanted) await import(new URL(name, own.src)).catch(() => {});
  };
  (window.requestIdleCallback || setTimeout)(load);
}
