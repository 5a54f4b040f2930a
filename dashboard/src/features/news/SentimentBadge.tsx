// A sentiment score as a coloured badge: green positive, amber neutral, red negative.
import { Badge } from "@/components/Badge";
import { formatScore, sentimentTone } from "@/lib/format";

const COLOR = { positive: "green", neutral: "amber", negative: "red" } as const;
const WORD = { positive: "positive", neutral: "neutral", negative: "negative" } as const;

export function SentimentBadge({ score }: { score: number }) {
  const tone = sentimentTone(score);
  return (
    <Badge color={COLOR[tone]} label={`Sentiment ${WORD[tone]}, ${formatScore(score)}`}>
      {formatScore(score)}
    </Badge>
  );
}
