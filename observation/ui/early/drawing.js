// Loads Streamlit's chart-drawing script (Plotly's) in the background as soon as any page is open,
// so that the first page with a chart does not wait for it. The script's file name comes from the
// server (data.script, a name Streamlit ships: "PlotlyChart.<hash>.js"); its address is taken beside
// Streamlit's own script, as Streamlit's front end finds it, so the browser loads it once.
export default function (component) {
  const name = component.data && component.data.script;
  const own = document.querySelector('script[type="module"][src*="/static/js/index."]');
  if (typeof name !== "string" || !/^PlotlyChart\.[\w-]+\.js$/.test(name) || !own) return;
  const load = () => import(new URL(name, own.src)).catch(() => {});
  (window.requestIdleCallback || setTimeout)(load);
}
