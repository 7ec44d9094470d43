"""Support bot: answers tickets with Claude, embeds with OpenAI."""

from anthropic import Anthropic

client = Anthropic(api_key="sk-ant-api03-FAKEzspDemoKeyNotRealiHkTj0rLGlkoMXGjtEkDnNfribxUdl7dXTPyLsxPFkThf4VucSmEHgaKwVJ7faC9qEwjky40AA")


def answer(question: str) -> str:
    reply = client.messages.create(
        model="claude-3-5-haiku-latest",
        max_tokens=512,
        messages=[{"role": "user", "content": question}],
    )
    return reply.content[0].text
