// English and Bahasa Indonesia. Pick with ?lang=id or the browser's language.
const STRINGS = {
  en: {
    live: "LIVE", scheduled: "Starting soon", ended: "This show has ended", viewers: "watching",
    connecting: "Connecting…", reconnecting: "Reconnecting…", closed: "Disconnected",
    chat: "Chat", send: "Send", say: "Say something…", reply: "Reply", replying: "Replying to",
    pinned: "Pinned", claim: "Claim", units: "Quantity", left: "left", sold_out: "Sold out",
    starts_in: "Starts in", ends_in: "Ends in", offer_ended: "Offer ended", reserved: "Reserved! Complete checkout before",
    poll: "Poll", vote: "Vote", votes: "votes", closed_poll: "Final results",
    questions: "Questions", ask: "Ask", ask_placeholder: "Ask the host…", upvote: "Upvote", answered: "Answered",
    giveaway: "Giveaway", winners: "Winners", enter: "Enter", entered: "You're in!",
    members_only: "Chat is for members right now", guest: "Sign in to chat",
    react: "React", moderation: "Moderation", delete: "Delete", timeout: "Time out", ban: "Ban", slow_mode: "Slow mode (s)",
    go_live: "Go live", end: "End show", pin: "Pin", unpin: "Unpin", launch_offer: "Launch flash offer", price: "Price",
    per_buyer: "Per buyer", duration: "Seconds", end_offer: "End offer", create_poll: "Create poll", question: "Question",
    options: "Options (one per line)", close_poll: "Close poll", answer: "Mark answered", highlight: "Highlight",
    start_giveaway: "Start giveaway", draw: "Draw", claims: "Claims", revenue: "Revenue", affiliates: "Affiliate sales",
    sessions: "Sessions", replay: "Replay", play: "Play", pause: "Pause", export: "Export", viewers_chart: "Viewers", sales_chart: "Paid orders",
    error_generic: "Something went wrong",
    thinned: "Chat is busy: showing some of the messages",
  },
  id: {
    live: "LANGSUNG", scheduled: "Segera dimulai", ended: "Siaran ini telah berakhir", viewers: "menonton",
    connecting: "Menghubungkan…", reconnecting: "Menghubungkan ulang…", closed: "Terputus",
    chat: "Obrolan", send: "Kirim", say: "Tulis sesuatu…", reply: "Balas", replying: "Membalas",
    pinned: "Disematkan", claim: "Ambil", units: "Jumlah", left: "tersisa", sold_out: "Habis",
    starts_in: "Mulai dalam", ends_in: "Berakhir dalam", offer_ended: "Penawaran berakhir", reserved: "Dipesan! Selesaikan pembayaran sebelum",
    poll: "Jajak pendapat", vote: "Pilih", votes: "suara", closed_poll: "Hasil akhir",
    questions: "Pertanyaan", ask: "Tanya", ask_placeholder: "Tanya host…", upvote: "Dukung", answered: "Terjawab",
    giveaway: "Giveaway", winners: "Pemenang", enter: "Ikut", entered: "Kamu ikut!",
    members_only: "Obrolan khusus anggota saat ini", guest: "Masuk untuk mengobrol",
    react: "Reaksi", moderation: "Moderasi", delete: "Hapus", timeout: "Bisukan", ban: "Blokir", slow_mode: "Mode lambat (dtk)",
    go_live: "Mulai siaran", end: "Akhiri siaran", pin: "Sematkan", unpin: "Lepas", launch_offer: "Luncurkan flash sale", price: "Harga",
    per_buyer: "Per pembeli", duration: "Detik", end_offer: "Akhiri penawaran", create_poll: "Buat jajak pendapat", question: "Pertanyaan",
    options: "Pilihan (satu per baris)", close_poll: "Tutup jajak pendapat", answer: "Tandai terjawab", highlight: "Sorot",
    start_giveaway: "Mulai giveaway", draw: "Undi", claims: "Klaim", revenue: "Pendapatan", affiliates: "Penjualan afiliasi",
    sessions: "Sesi", replay: "Tayangan ulang", play: "Putar", pause: "Jeda", export: "Ekspor", viewers_chart: "Penonton", sales_chart: "Pesanan dibayar",
    error_generic: "Terjadi kesalahan",
    thinned: "Obrolan ramai: menampilkan sebagian pesan",
  },
};

// Rejection codes as people read them.
const REASONS = {
  en: {
    sold_out: "Sold out", not_enough_stock: "Not enough left", limit_reached: "You've reached the limit for this offer",
    not_started: "Not started yet", ended: "It has ended", members_only: "For members only", banned: "You can't do that here",
    timed_out: "You're timed out", slow_mode: "Slow mode is on — wait a moment", too_long: "That's too long", empty: "Write something first",
    forbidden: "You're not allowed to do that", rate_limited: "Slow down a little", unavailable: "Try again in a moment", conflict: "Already done",
    not_eligible: "You're not eligible", key_reused: "Request reused",
  },
  id: {
    sold_out: "Habis", not_enough_stock: "Stok tidak cukup", limit_reached: "Kamu sudah mencapai batas untuk penawaran ini",
    not_started: "Belum dimulai", ended: "Sudah berakhir", members_only: "Khusus anggota", banned: "Kamu tidak bisa melakukan itu di sini",
    timed_out: "Kamu sedang dibisukan", slow_mode: "Mode lambat aktif — tunggu sebentar", too_long: "Terlalu panjang", empty: "Tulis sesuatu dulu",
    forbidden: "Kamu tidak diizinkan", rate_limited: "Pelan-pelan sedikit", unavailable: "Coba lagi sebentar", conflict: "Sudah dilakukan",
    not_eligible: "Kamu tidak memenuhi syarat", key_reused: "Permintaan dipakai ulang",
  },
};

export const lang = (new URLSearchParams(location.search).get("lang") || navigator.language || "en").startsWith("id") ? "id" : "en";
export const t = (key) => STRINGS[lang][key] ?? STRINGS.en[key] ?? key;
export const reason = (error) => (REASONS[lang][error?.code] ?? REASONS.en[error?.code] ?? error?.message ?? t("error_generic"));
document.documentElement.lang = lang;
