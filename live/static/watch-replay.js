// The viewer page of a show that has ended: the show again, as it happened. The public replay
// socket (no token) draws the room as it was at the start (title, recording, pinned products);
// "Watch the replay" plays the recording with chat, pins, polls and offers arriving at their
// moments, offers saying they have ended. Loaded only once a show has ended, so the live page's
// budget does not carry it; its words are its own for the same reason.
import { el } from "./live.js";
import { lang } from "./i18n.js";

const WORDS = {
  en: { watch: "Watch the replay", again: "Watch again", none: "This show has no replay." },
  id: { watch: "Tonton tayangan ulang", again: "Tonton lagi", none: "Siaran ini tidak punya tayangan ulang." },
}[lang];

/** Put "Watch the replay" in the ended banner of ``view`` (a RoomView) for ``roomId``. */
export function offerReplay(view, roomId) {
  let socket = null;
  const button = el("button", { type: "button", class: "primary", "data-testid": "watch-replay", onclick: () => open(true) }, `▶ ${WORDS.watch}`);
  const banner = view.parts.banner;
  const ended = banner.textContent; // "This show has ended", in the viewer's language
  const say = (...parts) => { banner.hidden = false; banner.firstChild.replaceChildren(...parts); };

  /** The room at the start; with ``run``, the show from there at its own pace. */
  function open(run) {
    socket?.close();
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = socket = new WebSocket(`${scheme}://${location.host}/v1/rooms/${encodeURIComponent(roomId)}/replay/ws?from_ms=0`, ["live.v1.json"]);
    let began = performance.now();
    let started = false;
    ws.onmessage = (msg) => {
      for (const m of JSON.parse(msg.data)) {
        if (m.type === "replay.start") {
          started = true;
          view.replay = true; // no LIVE badge, no viewer count, no composer actions
          const startMs = m.room.went_live_at ?? Date.now();
          view.replayNow = () => startMs + (view.video && !view.video.paused ? view.video.currentTime * 1000 : performance.now() - began);
          view.reset({ ...m.room, status: "ended" });
          if (!run) {
            ws.close();
            say(el("strong", {}, ended), " ", button);
            continue;
          }
          began = performance.now();
          banner.hidden = true;
          if (view.video) { // the live page's player (looping) is kept: it starts over once
            view.video.loop = false;
            view.video.currentTime = 0;
            view.video.play().catch(() => {}); // muted, so a browser lets it start
          }
        } else if (m.type === "replay.end") {
          ws.close();
          button.textContent = `↺ ${WORDS.again}`;
          say(el("strong", {}, ended), " ", button);
        } else if (m.type !== "room.status") { // the room stays "ended": nothing here is live
          view.apply(m);
        }
      }
    };
    ws.onclose = () => { if (!started) say(el("strong", {}, WORDS.none)); }; // never went live: nothing to replay
  }

  // Watched live to the end: the room is on screen as it ended, the button waits beside the banner.
  if (view.room) say(el("strong", {}, ended), " ", button);
  else open(false);
}
