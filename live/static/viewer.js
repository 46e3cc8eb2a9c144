// Viewer page: /viewer.html?room=ROOM#token=JWT (no token: watch as a guest; &ref=AFFILIATE).
import { LiveClient, params } from "./live.js";
import { t } from "./i18n.js";
import { RoomView } from "./room-view.js";

const query = params();
const status = document.querySelector("[data-testid=connection]");
const client = new LiveClient(query.get("room"), {
  token: query.get("token"),
  ref: query.get("ref"),
  onWelcome: (w) => {
    view.me = w.you;
    if (!w.resumed) view.reset(w.room);
    if (w.viewers !== undefined) view.apply({ type: "presence", viewers: w.viewers });
  },
  onEvent: (ev) => view.apply(ev),
  onStatus: (state) => {
    status.dataset.state = state;
    status.textContent = state === "live" ? "" : t(state) ?? state;
  },
});
const view = new RoomView(document.getElementById("room"), { client });
window.liveClient = client;
client.connect();
