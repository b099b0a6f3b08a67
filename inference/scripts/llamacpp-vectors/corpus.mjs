// The hard strings the tokenizers are compared on. Deterministic: the same list on every run.
// Categories: multilingual text, emoji and ZWJ sequences, code, digit runs, whitespace runs,
// contractions, special-token look-alikes of every family, very long words, and mixtures.

const multilingual = [
    "Hello, world!", "The quick brown fox jumps over the lazy dog.", "Ünïcödé – 世界 🌍 € ß",
    "Größere Übungen für Straßenbahnfahrer", "Ça va? Très bien, merci. L'été dernier.", "¿Dónde está la biblioteca? ¡Aquí!",
    "Съешь же ещё этих мягких французских булок", "Γειά σου Κόσμε· ἀρχή", "שלום עולם", "مرحبا بالعالم، كيف حالك؟",
    "नमस्ते दुनिया", "வணக்கம் உலகம்", "ສະບາຍດີ", "สวัสดีชาวโลก", "こんにちは世界。カタカナとひらがな", "你好，世界！我们在北京。",
    "繁體中文測試：臺灣", "안녕하세요 세계", "Xin chào thế giới", "Tiếng Việt có dấu: ả ã ạ ằ ẳ ẵ", "Türkçe: ığüşöç İĞÜŞÖÇ",
    "Polski: zażółć gęślą jaźń", "Čeština: příliš žluťoučký kůň", "Română: șțăîâ ȘȚĂÎÂ", "Ἐν ἀρχῇ ἦν ὁ λόγος",
    "ᚠᛇᚻ᛫ᛒᛦᚦ", "Ꭰ Ꭱ Ꭲ Cherokee", "ⴰⵣⵓⵍ Tifinagh", "ካርቦን Amharic", "Ꮳ ᏣᎳᎩ", "ᐃᓄᒃᑎᑐᑦ Inuktitut",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝕄𝕒𝕥𝕙 𝒮𝒸𝓇𝒾𝓅𝓉", "ｆｕｌｌｗｉｄｔｈ　ＡＳＣＩＩ　１２３", "ﬁ ﬂ ﬀ ligatures", "Å Å (precomposed and decomposed)",
    "e\u0301 a\u0308 o\u0302 combining marks", "\u0928\u093f\u0903", "Zalgo: Z̴̡̪a̵̛l̶͓g̷o̵", "אבג 123 abc مرحبا",
    "日本語の文章には、句読点（。、）が含まれます。", "中文标点：《书名》、“引号”、……省略号", "ㄅㄆㄇㄈ 注音", "𠀀𠀁𠀂 CJK Ext B",
    "Ω≈ç√∫˜µ≤≥÷", "åß∂ƒ©˙∆˚¬…æ", "œ∑´®†¥¨ˆøπ“‘", "¡™£¢∞§¶•ªº–≠", "Ⅰ Ⅱ Ⅲ Ⅳ Roman numerals ⅰⅱⅲ", "½ ¾ ⅓ ⁴ ₂ ① ②",
    "٠١٢٣٤٥٦٧٨٩ Arabic-Indic digits", "०१२३४५६७८९ Devanagari digits", "一二三 四五六", "µ vs μ, K vs K, Å vs Å",
];

const emoji = [
    "🙂", "😀😃😄😁", "👍🏽", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🧑🏿‍🚀", "❤️‍🔥", "👩‍❤️‍💋‍👨", "🇺🇸🇫🇷🇯🇵", "🇪🇺 flag",
    "#️⃣ 1️⃣ *️⃣", "☕️ vs ☕", "I ❤️ NY", "🤷‍♀️🤷‍♂️", "🐻‍❄️ polar bear", "🫠🫡🫥 newer emoji", "🏴󠁧󠁢󠁳󠁣󠁴󠁿 Scotland",
    "text🙂text", " 🙂 spaced 🙂 ", "🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂", "emoji at end 🎉", "🎉 emoji at start", "👩🏻‍💻👨🏾‍💻",
    "\u200d zero width joiner alone", "a\u200bb zero width space", "\ufeffBOM at start", "soft\u00adhyphen", "\u2060word joiner",
];

const code = [
    "def f(x):\n    return x**2 + 1\n", "for (int i = 0; i < n; i++) {\n\tsum += a[i];\n}",
    "const x = () => { return [1, 2, 3].map(v => v * 2); };", "#include <stdio.h>\nint main(void) { printf(\"%d\\n\", 42); }",
    "SELECT id, name FROM users WHERE age >= 18 ORDER BY name;", "<div class=\"a\">Hello &amp; bye</div>",
    "{\"key\": [1, 2.5, true, null], \"nested\": {\"a\": \"b\"}}", "if x != y && z == w || !q { panic!(\"no\") }",
    "std::vector<std::pair<int,int>> v; v.emplace_back(1,2);", "$ ls -la | grep '^d' > out.txt 2>&1",
    "x += 1; y -= 2; z *= 3; w /= 4; m %= 5;", "a->b, c::d, e.f, g?.h, i ?? j", "/* comment */ // line comment",
    "import numpy as np\nnp.zeros((3, 4), dtype=np.float32)", "fn main() -> Result<(), Box<dyn Error>> { Ok(()) }",
    "```python\nprint('hi')\n```", "    indented four\n        indented eight\n\t\ttabs", "λx.λy.x y",
    "URL: https://example.com/path?query=1&b=2#frag", "email: first.last+tag@example.co.uk",
    "C:\\Users\\name\\file.txt", "regex: ^[a-z0-9_-]{3,16}$", "0x1F 0xDEADBEEF 0b1010 0o777 1e-9 3.14f 10_000",
    "snake_case camelCase PascalCase kebab-case SCREAMING_CASE", "a=1,b=2;c=3:d=4", "((((nested))))", "[[[]]] {{{}}}",
    "!!!???...,,,;;;:::", "---===+++***", "'''\"\"\"```", "<<<>>>", "~~~^^^|||", "@@@###$$$%%%&&&", "______", "........",
];

const digits = [];
for (let n = 1; n <= 24; n++) digits.push("1234567890".repeat(3).slice(0, n));
digits.push("3.14159265358979323846", "1,000,000", "1.000.000,00", "2026-12-01T11:17:18Z", "+1 (555) 123-4567",
    "v1.2.3-rc.4", "123abc456def", "abc123 def456", " 1", "  1", "   12", "a 1 b 22 c 333 d 4444", "0000000",
    "12 345 678", "١٢٣ 456 ७८९", "1st 2nd 3rd 4th", "$1,234.56", "€9,99", "50%", "-42", "+-0", "1/2 3/4", "10^6",
    "999999999999999999999999999999", "1 2 3 4 5 6 7 8 9 10", "x1y2z3", "007", "2⁸ = 256", "№ 5");

const whitespace = [
    " ", "  ", "   ", "    ", "\t", "\t\t", "\n", "\n\n", "\n\n\n", "\r\n", "\r\n\r\n", " \n ", "\n \n", "  \n  ",
    "a  b", "a   b", "a    b", "a\tb", "a\t\tb", "a\nb", "a\n\nb", "a \n b", "a\r\nb", " leading", "  two leading",
    "trailing ", "trailing  ", "both  ", "  both  ", "\u00a0nbsp\u00a0", "em\u2003space", "ideographic\u3000space",
    "line\u2028separator", "para\u2029separator", "nel\u0085next line", "vertical\u000btab", "form\u000cfeed",
    "mixed \t \n \r\n end", "                                 many spaces", "\n\n\n\n\n\n\n\n", "\t\t\t\t\t\t", " \t \t ",
    "word\n", "\nword", "  \n\n  word", "a \u00a0 b", "x\u2009thin\u200aspace", "\u001cfile separator\u001f",
];

const contractions = [
    "don't you'll I'm", "I've we're they'd she'll it's", "DON'T YOU'LL I'M", "I'VE WE'RE THEY'D SHE'LL IT'S",
    "Don'T yOu'Ll", "rock'n'roll", "'s 't 're 've 'm 'll 'd", "''", "'", "' s", "o'clock", "ma'am", "y'all'd've",
    "the dog's bone", "the dogs' bones", "'quoted'", "’curly’ don’t", "l'homme d'affaires", "it''s", "'S'T'RE",
];

const specials = [
    "<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>", "<|eom_id|>", "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>",
    "<|begin_of_text|><|begin_of_text|>", "<|eot_id", "|eot_id|>", "<|EOT_ID|>", "< |eot_id| >", "<<|eot_id|>>", "<|eot_id|><|eot_id|>",
    "x<|eot_id|>y", " <|eot_id|> ", "<|reserved_special_token_0|>", "<|reserved_special_token_250|>", "<|python_tag|>",
    "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
    "<|im_start|>", "<|im_end|>", "<|endoftext|>", "<|im_end", "<|im_start|>user", "<|IM_END|>", "text<|endoftext|>more",
    "<think>reasoning</think>answer", "<think>", "</think>", "<think></think>", "<tool_call>{\"a\":1}</tool_call>",
    "<tool_response>ok</tool_response>", "<|fim_prefix|>a<|fim_suffix|>b<|fim_middle|>", "<|fim_pad|>", "<|file_sep|>", "<|repo_name|>",
    "[PAD151700]", "<|vision_start|><|image_pad|><|vision_end|>", "<|object_ref_start|>", "<thinking>", "<think >", "< think>",
    "<s>", "</s>", "<unk>", "<s>[INST] Hi [/INST]", "</s><s>", "Hello</s><s>[INST] again [/INST]", "<s> <s> </s>",
    "[INST] <<SYS>>\nsys\n<</SYS>>\n\nuser [/INST]", "<<SYS>>", "[INST]", "[/INST]", "<unk><unk>", "x<unk>y", "<UNK>", "<s", "s>",
    "<0x41>", "<0xFF>", "<fim_prefix>", "<fim_middle>", "<fim_suffix>", "<filename>", "<gh_stars>", "<issue_start>",
    "<jupyter_code>", "<reponame>", "<empty_output>", "<|assistant|>", "<|user|>", "<|end|>", "<|system|>", "<｜begin▁of▁sentence｜>",
    "<mask>", "<pad>", "<|padding|>", "<bos>", "<eos>", "<start_of_turn>", "<end_of_turn>", "[CLS]", "[SEP]", "[MASK]",
    "<|", "|>", "<||>", "<|>", "<|a|>", "▁", "▁▁", "▁hello", "hello▁world", "Ġ", "Ġhello", "Ċ", "ĠĠ",
];

const longWords = [
    "a".repeat(100), "ab".repeat(60), "Pneumonoultramicroscopicsilicovolcanoconiosis",
    "Donaudampfschifffahrtselektrizitätenhauptbetriebswerkbauunterbeamtengesellschaft",
    "Llanfairpwllgwyngyllgogerychwyndrobwllllantysiliogogogoch", "supercalifragilisticexpialidocious".repeat(4),
    "x".repeat(257), "日本".repeat(60), "🙂".repeat(40), "-".repeat(80), "=".repeat(64), "_".repeat(50), ".".repeat(33),
    "abcdefghijklmnopqrstuvwxyz".repeat(5), "ABCDEFGHIJKLMNOPQRSTUVWXYZ".repeat(4), "0123456789".repeat(12),
    "hippopotomonstrosesquippedaliophobia", "Rindfleischetikettierungsüberwachungsaufgabenübertragungsgesetz",
    "Muvaffakiyetsizleştiricileştiriveremeyebileceklerimizdenmişsinizcesine", "ĳĳĳĳĳĳĳĳĳĳ", "ǅǅǅǅǅ", "ßßßßßßßßßßßß",
];

const mixtures = [];
// Deterministic combinations of the pieces above, to reach hard boundaries: a special token glued to
// text, numbers glued to letters, whitespace around specials, etc.
const glue = ["", " ", "\n", "  ", "\t", "1", "a", "é", "🙂", "'s", "<|eot_id|>", "<|im_end|>", "</s>", "<think>"];
const words = ["Hello", "world", "123", "don't", "世界", "👍🏽", "x+y", "  ", "\n", "<s>", "naïve", "ÆØÅ", "٣"];
for (let i = 0; i < glue.length; i++) {
    for (let j = 0; j < words.length; j++) {
        if ((i * 7 + j * 3) % 4 === 0) mixtures.push(words[j] + glue[i] + words[(j + i) % words.length] + glue[(i + j) % glue.length]);
    }
}
const sentences = [
    "In 2024, the model scored 87.5% on the test (vs. 82.1% in 2023).", "She said: \"It's fine — really!\"",
    "Version 3.10.4 fixed bug #1234; see https://bugs.example.org/1234.", "Temperature: -40°C = -40°F.",
    "Mr. & Mrs. Smith's 3-bedroom house costs $450,000.", "The café's crème brûlée was «magnifique»!",
    "He wrote 'hello'\nthen 'world'\n\nand left.", "Q: What's 2+2?\nA: 4.", "1. First\n2. Second\n3. Third",
    "- bullet\n  - nested bullet\n    - deeper", "| a | b |\n|---|---|\n| 1 | 2 |", "Name:\tJohn\nAge:\t42\n",
    "Ok.", "OK!", "ok?", "Yes/No", "and/or", "e.g., i.e., etc.", "A.B.C.", "U.S.A.", "Ph.D.", "3:45 p.m.",
    "I'm 25 years old and I've 3 cats.", "Call me at 555-0100 (ext. 42).", "¡¿Qué?!", "…and then—nothing.",
    "Ünïcödé 123 'quoted' <s> </s>", "tab\tafter\ttab", "CRLF\r\nline", "λ = 2π/k", "x² + y² = z²", "H₂O and CO₂",
    "The 1990s–2000s", "A+B=C", "#hashtag @mention", "foo.bar(baz)[0]", "<html><body></body></html>",
];

// A leading space or a trailing newline changes the first and last pieces of most pre-tokenizers.
const variants = [...multilingual, ...sentences, ...code.slice(0, 12)].flatMap((s, i) => (i % 2 === 0 ? [" " + s] : [s + "\n"]));

function build() {
    const all = [...variants, ...multilingual, ...emoji, ...code, ...digits, ...whitespace, ...contractions, ...specials,
        ...longWords, ...mixtures, ...sentences];
    const seen = new Set();
    const out = [];
    for (const s of all) if (!seen.has(s)) { seen.add(s); out.push(s); }
    return out;
}

export const CORPUS = build();
